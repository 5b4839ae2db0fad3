import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { createActionHandler } from "../handler.js";
import { routeAgentAliasToVersion } from "./action.js";

export const handler = createActionHandler(routeAgentAliasToVersion, { bedrockAgent: BedrockAgentClient });
