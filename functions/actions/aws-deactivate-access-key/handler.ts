import { IAMClient } from "@aws-sdk/client-iam";
import { createActionHandler } from "../handler.js";
import { deactivateAwsAccessKey } from "./action.js";

export const handler = createActionHandler(deactivateAwsAccessKey, { iam: IAMClient });
