import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { createActionHandler } from "../handler.js";
import { findDocumentSource } from "./action.js";

export const handler = createActionHandler(findDocumentSource, { bedrockAgent: BedrockAgentClient });
