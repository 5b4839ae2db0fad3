import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { createActionHandler } from "../handler.js";
import { pauseAgentAlias } from "./action.js";

export const handler = createActionHandler(pauseAgentAlias, { bedrockAgent: BedrockAgentClient });
