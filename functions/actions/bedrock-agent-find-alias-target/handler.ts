import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { createActionHandler } from "../handler.js";
import { findAgentAliasRollbackTarget } from "./action.js";

export const handler = createActionHandler(findAgentAliasRollbackTarget, {
  bedrockAgent: BedrockAgentClient,
});
