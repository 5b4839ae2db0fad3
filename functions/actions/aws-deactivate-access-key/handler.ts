import { createActionHandler } from "../handler.js";
import { deactivateAwsAccessKey } from "./action.js";

export const handler = createActionHandler(deactivateAwsAccessKey);
