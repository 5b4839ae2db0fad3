import { createActionHandler } from "../handler.js";
import { blockLitellmEndUser } from "./action.js";

export const handler = createActionHandler(blockLitellmEndUser);
