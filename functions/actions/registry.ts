import { deactivateAnthropicKey } from "./anthropic-deactivate-key/action.js";
import { findLeakedAnthropicKey } from "./anthropic-find-leaked-key/action.js";
import { deactivateAwsAccessKey } from "./aws-deactivate-access-key/action.js";
import { deactivateBedrockApiKey } from "./aws-deactivate-bedrock-api-key/action.js";
import { findLeakedBedrockApiKey } from "./aws-find-bedrock-api-key/action.js";
import { findLeakedAwsAccessKey } from "./aws-find-leaked-access-key/action.js";
import { revokeRoleSessions } from "./aws-revoke-role-sessions/action.js";
import { disableActionGroup } from "./bedrock-agent-disable-action-group/action.js";
import { findMisusedActionGroup } from "./bedrock-agent-find-action-group/action.js";
import { findAgentAliasRollbackTarget } from "./bedrock-agent-find-alias-target/action.js";
import { pauseAgentAlias } from "./bedrock-agent-pause-alias/action.js";
import { routeAgentAliasToVersion } from "./bedrock-agent-route-alias/action.js";
import { findLeakGuardrail } from "./bedrock-find-leak-guardrail/action.js";
import { findDocumentSource } from "./bedrock-kb-find-document-source/action.js";
import { ingestionStatus } from "./bedrock-kb-ingestion-status/action.js";
import { quarantineDocument } from "./bedrock-kb-quarantine-document/action.js";
import { tightenPromptAttackFilter } from "./bedrock-tighten-prompt-attack-filter/action.js";
import { tightenSensitiveInformation } from "./bedrock-tighten-sensitive-information/action.js";
import type { AnyAction } from "./contract.js";
import { resolveGitHubSecretAlert } from "./github-resolve-secret-alert/action.js";
import { blockLitellmEndUser } from "./litellm-block-end-user/action.js";
import { throttleLitellmVirtualKey } from "./litellm-throttle-virtual-key/action.js";
import { findLeakedOpenAiKey } from "./openai-find-leaked-key/action.js";
import { revokeOpenAiProjectKey } from "./openai-revoke-project-key/action.js";
import { checkProtected } from "./quell-check-protected/action.js";
import { endpointStatus } from "./sagemaker-endpoint-status/action.js";
import { findEndpointRollbackTarget } from "./sagemaker-find-endpoint-target/action.js";
import { rollbackEndpoint } from "./sagemaker-rollback-endpoint/action.js";
import { findParameterRollbackTarget } from "./ssm-find-parameter-target/action.js";
import { putParameterValue } from "./ssm-put-parameter-value/action.js";

/**
 * Every action, by name, with static imports (bundlers keep them). Adding an action: one folder with
 * `action.ts` and `handler.ts`, plus one line here. The catalog test checks they agree.
 */
export const actions = {
  [checkProtected.name]: { definition: checkProtected, folder: "quell-check-protected" },
  [findLeakedOpenAiKey.name]: { definition: findLeakedOpenAiKey, folder: "openai-find-leaked-key" },
  [revokeOpenAiProjectKey.name]: { definition: revokeOpenAiProjectKey, folder: "openai-revoke-project-key" },
  [resolveGitHubSecretAlert.name]: {
    definition: resolveGitHubSecretAlert,
    folder: "github-resolve-secret-alert",
  },
  [findLeakedAnthropicKey.name]: { definition: findLeakedAnthropicKey, folder: "anthropic-find-leaked-key" },
  [deactivateAnthropicKey.name]: { definition: deactivateAnthropicKey, folder: "anthropic-deactivate-key" },
  [findLeakedAwsAccessKey.name]: { definition: findLeakedAwsAccessKey, folder: "aws-find-leaked-access-key" },
  [deactivateAwsAccessKey.name]: { definition: deactivateAwsAccessKey, folder: "aws-deactivate-access-key" },
  [revokeRoleSessions.name]: { definition: revokeRoleSessions, folder: "aws-revoke-role-sessions" },
  [findLeakedBedrockApiKey.name]: { definition: findLeakedBedrockApiKey, folder: "aws-find-bedrock-api-key" },
  [deactivateBedrockApiKey.name]: {
    definition: deactivateBedrockApiKey,
    folder: "aws-deactivate-bedrock-api-key",
  },
  [tightenPromptAttackFilter.name]: {
    definition: tightenPromptAttackFilter,
    folder: "bedrock-tighten-prompt-attack-filter",
  },
  [findLeakGuardrail.name]: { definition: findLeakGuardrail, folder: "bedrock-find-leak-guardrail" },
  [tightenSensitiveInformation.name]: {
    definition: tightenSensitiveInformation,
    folder: "bedrock-tighten-sensitive-information",
  },
  [throttleLitellmVirtualKey.name]: {
    definition: throttleLitellmVirtualKey,
    folder: "litellm-throttle-virtual-key",
  },
  [blockLitellmEndUser.name]: { definition: blockLitellmEndUser, folder: "litellm-block-end-user" },
  [findMisusedActionGroup.name]: {
    definition: findMisusedActionGroup,
    folder: "bedrock-agent-find-action-group",
  },
  [disableActionGroup.name]: { definition: disableActionGroup, folder: "bedrock-agent-disable-action-group" },
  [findDocumentSource.name]: { definition: findDocumentSource, folder: "bedrock-kb-find-document-source" },
  [quarantineDocument.name]: { definition: quarantineDocument, folder: "bedrock-kb-quarantine-document" },
  [ingestionStatus.name]: { definition: ingestionStatus, folder: "bedrock-kb-ingestion-status" },
  [findAgentAliasRollbackTarget.name]: {
    definition: findAgentAliasRollbackTarget,
    folder: "bedrock-agent-find-alias-target",
  },
  [routeAgentAliasToVersion.name]: {
    definition: routeAgentAliasToVersion,
    folder: "bedrock-agent-route-alias",
  },
  [pauseAgentAlias.name]: { definition: pauseAgentAlias, folder: "bedrock-agent-pause-alias" },
  [findEndpointRollbackTarget.name]: {
    definition: findEndpointRollbackTarget,
    folder: "sagemaker-find-endpoint-target",
  },
  [rollbackEndpoint.name]: { definition: rollbackEndpoint, folder: "sagemaker-rollback-endpoint" },
  [endpointStatus.name]: { definition: endpointStatus, folder: "sagemaker-endpoint-status" },
  [findParameterRollbackTarget.name]: {
    definition: findParameterRollbackTarget,
    folder: "ssm-find-parameter-target",
  },
  [putParameterValue.name]: { definition: putParameterValue, folder: "ssm-put-parameter-value" },
} as const satisfies Record<string, { definition: AnyAction; folder: string }>;

export type ActionName = keyof typeof actions;

export const actionNames = Object.keys(actions) as ActionName[];

export const isActionName = (name: string): name is ActionName => Object.hasOwn(actions, name);
