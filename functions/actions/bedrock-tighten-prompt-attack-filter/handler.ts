import { createActionHandler } from "../handler.js";
import { tightenPromptAttackFilter } from "./action.js";

export const handler = createActionHandler(tightenPromptAttackFilter);
