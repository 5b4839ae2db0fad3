import { createActionHandler } from "../handler.js";
import { deactivateAnthropicKey } from "./action.js";

export const handler = createActionHandler(deactivateAnthropicKey);
