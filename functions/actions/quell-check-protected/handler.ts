import { createActionHandler } from "../handler.js";
import { checkProtected } from "./action.js";

export const handler = createActionHandler(checkProtected);
