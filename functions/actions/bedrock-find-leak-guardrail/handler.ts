import { BedrockClient } from "@aws-sdk/client-bedrock";
import { createActionHandler } from "../handler.js";
import { findLeakGuardrail } from "./action.js";

export const handler = createActionHandler(findLeakGuardrail, { bedrock: BedrockClient });
