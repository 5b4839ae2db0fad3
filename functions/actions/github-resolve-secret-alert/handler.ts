import { createActionHandler } from "../handler.js";
import { resolveGitHubSecretAlert } from "./action.js";

export const handler = createActionHandler(resolveGitHubSecretAlert);
