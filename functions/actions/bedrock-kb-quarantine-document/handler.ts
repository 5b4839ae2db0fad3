import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { S3Client } from "@aws-sdk/client-s3";
import { createActionHandler } from "../handler.js";
import { quarantineDocument } from "./action.js";

export const handler = createActionHandler(quarantineDocument, {
  bedrockAgent: BedrockAgentClient,
  s3: S3Client,
});
