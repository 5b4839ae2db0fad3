import { createActionHandler } from "../handler.js";
import { throttleLitellmVirtualKey } from "./action.js";

export const handler = createActionHandler(throttleLitellmVirtualKey);
