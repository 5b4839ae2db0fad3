import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { createActionHandler } from "../handler.js";
import { ingestionStatus } from "./action.js";

export const handler = createActionHandler(ingestionStatus, { bedrockAgent: BedrockAgentClient });
