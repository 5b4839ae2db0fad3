import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { createActionHandler } from "../handler.js";
import { findMisusedActionGroup } from "./action.js";

export const handler = createActionHandler(findMisusedActionGroup, { bedrockAgent: BedrockAgentClient });
