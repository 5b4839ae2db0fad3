import { BedrockAgentClient } from "@aws-sdk/client-bedrock-agent";
import { createActionHandler } from "../handler.js";
import { disableActionGroup } from "./action.js";

export const handler = createActionHandler(disableActionGroup, { bedrockAgent: BedrockAgentClient });
