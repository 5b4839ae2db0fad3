import { BedrockClient } from "@aws-sdk/client-bedrock";
import { createActionHandler } from "../handler.js";
import { tightenSensitiveInformation } from "./action.js";

export const handler = createActionHandler(tightenSensitiveInformation, { bedrock: BedrockClient });
