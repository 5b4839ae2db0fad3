import { SSMClient } from "@aws-sdk/client-ssm";
import { createActionHandler } from "../handler.js";
import { putParameterValue } from "./action.js";

export const handler = createActionHandler(putParameterValue, { ssm: SSMClient });
