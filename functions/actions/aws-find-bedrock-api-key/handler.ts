import { IAMClient } from "@aws-sdk/client-iam";
import { createActionHandler } from "../handler.js";
import { findLeakedBedrockApiKey } from "./action.js";

export const handler = createActionHandler(findLeakedBedrockApiKey, { iam: IAMClient });
