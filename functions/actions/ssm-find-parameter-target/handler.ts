import { SSMClient } from "@aws-sdk/client-ssm";
import { createActionHandler } from "../handler.js";
import { findParameterRollbackTarget } from "./action.js";

export const handler = createActionHandler(findParameterRollbackTarget, { ssm: SSMClient });
