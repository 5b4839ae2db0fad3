import { IAMClient } from "@aws-sdk/client-iam";
import { createActionHandler } from "../handler.js";
import { findLeakedAwsAccessKey } from "./action.js";

export const handler = createActionHandler(findLeakedAwsAccessKey, { iam: IAMClient });
