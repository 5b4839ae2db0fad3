import { createActionHandler } from "../handler.js";
import { findLeakedAnthropicKey } from "./action.js";

export const handler = createActionHandler(findLeakedAnthropicKey);
