import { deactivateAwsAccessKey } from "./aws-deactivate-access-key/action.js";
import { tightenPromptAttackFilter } from "./bedrock-tighten-prompt-attack-filter/action.js";
import type { AnyAction } from "./contract.js";
import { resolveGitHubSecretAlert } from "./github-resolve-secret-alert/action.js";
import { blockLitellmEndUser } from "./litellm-block-end-user/action.js";
import { throttleLitellmVirtualKey } from "./litellm-throttle-virtual-key/action.js";
import { findLeakedOpenAiKey } from "./openai-find-leaked-key/action.js";
import { revokeOpenAiProjectKey } from "./openai-revoke-project-key/action.js";

/**
 * Every action, by name, with static imports (bundlers keep them). Adding an action: one folder with
 * `action.ts` and `handler.ts`, plus one line here. The catalog test checks they agree.
 */
export const actions = {
  [findLeakedOpenAiKey.name]: { definition: findLeakedOpenAiKey, folder: "openai-find-leaked-key" },
  [revokeOpenAiProjectKey.name]: { definition: revokeOpenAiProjectKey, folder: "openai-revoke-project-key" },
  [resolveGitHubSecretAlert.name]: {
    definition: resolveGitHubSecretAlert,
    folder: "github-resolve-secret-alert",
  },
  [deactivateAwsAccessKey.name]: { definition: deactivateAwsAccessKey, folder: "aws-deactivate-access-key" },
  [tightenPromptAttackFilter.name]: {
    definition: tightenPromptAttackFilter,
    folder: "bedrock-tighten-prompt-attack-filter",
  },
  [throttleLitellmVirtualKey.name]: {
    definition: throttleLitellmVirtualKey,
    folder: "litellm-throttle-virtual-key",
  },
  [blockLitellmEndUser.name]: { definition: blockLitellmEndUser, folder: "litellm-block-end-user" },
} as const satisfies Record<string, { definition: AnyAction; folder: string }>;

export type ActionName = keyof typeof actions;

export const actionNames = Object.keys(actions) as ActionName[];

export const isActionName = (name: string): name is ActionName => Object.hasOwn(actions, name);
