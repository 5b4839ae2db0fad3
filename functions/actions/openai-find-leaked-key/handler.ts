import { createActionHandler } from "../handler.js";
import { findLeakedOpenAiKey } from "./action.js";

export const handler = createActionHandler(findLeakedOpenAiKey);
