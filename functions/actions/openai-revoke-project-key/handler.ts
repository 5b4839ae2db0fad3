import { createActionHandler } from "../handler.js";
import { revokeOpenAiProjectKey } from "./action.js";

export const handler = createActionHandler(revokeOpenAiProjectKey);
