import { IAMClient } from "@aws-sdk/client-iam";
import { createActionHandler } from "../handler.js";
import { revokeRoleSessions } from "./action.js";

export const handler = createActionHandler(revokeRoleSessions, { iam: IAMClient });
