import { IAMClient } from "@aws-sdk/client-iam";
import { createActionHandler } from "../handler.js";
import { deactivateBedrockApiKey } from "./action.js";

export const handler = createActionHandler(deactivateBedrockApiKey, { iam: IAMClient });
