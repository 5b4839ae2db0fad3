import { BedrockClient } from "@aws-sdk/client-bedrock";
import { createActionHandler } from "../handler.js";
import { tightenPromptAttackFilter } from "./action.js";

export const handler = createActionHandler(tightenPromptAttackFilter, { bedrock: BedrockClient });
