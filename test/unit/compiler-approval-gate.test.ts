import { describe, expect, it } from "vitest";
import { compilePlaybook } from "../../playbooks/compile.js";
import { type AuthoredStep, definePlaybook } from "../../playbooks/define.js";
import { leakedAiKey } from "../../playbooks/leaked-ai-key.js";

type Task = { Type: string; Parameters?: { Payload?: Record<string, unknown> } };

/** Each action Task's name with what its payload says about the approval in front of it. */
function actionPayloads(playbook: Parameters<typeof compilePlaybook>[0]) {
  const states = compilePlaybook(playbook).definition.States as Record<string, Task>;
  return Object.fromEntries(
    Object.entries(states)
      .filter(([, state]) => state.Type === "Task" && state.Parameters?.Payload?.input !== undefined)
      .map(([name, state]) => {
        const { approvalStep, approval } = state.Parameters?.Payload ?? {};
        return [name, { approvalStep, approval }];
      }),
  );
}

const resolveAlert = (next: string): AuthoredStep => ({
  type: "action",
  action: "github.resolve-secret-scanning-alert",
  input: {
    repository: { path: "$.alert.details.repository" },
    alertNumber: { path: "$.alert.details.alertNumber" },
    resolution: "revoked",
    comment: "Resolved by Quell.",
  },
  next,
});
const approve = (onApprove: string): AuthoredStep => ({
  type: "approval",
  policy: "one",
  title: "Resolve the alert",
  plan: ["Resolve the GitHub alert."],
  facts: {},
  timeoutSeconds: 3600,
  onApprove,
});
const fixture = (startAt: string, steps: Record<string, AuthoredStep>) =>
  definePlaybook({
    name: "unit-gate",
    description: "An approval in front of an action.",
    handles: ["leaked_api_key"],
    startAt,
    steps: { ...steps, done: { type: "succeed", outcome: "resolved", summary: "done" } },
  });

describe("the approval in front of an action step", () => {
  it("is named in the task of each action an approval leads to, and of no other", () => {
    expect(actionPayloads(leakedAiKey)).toEqual({
      resolveInactiveKeyAlert: { approvalStep: "closeInactiveKeyAlert", approval: "auto" },
      locateKey: { approvalStep: undefined, approval: undefined },
      checkOpenAiKeyProtected: { approvalStep: undefined, approval: undefined },
      resolveAlertAfterProtectedOpenAiKeyByHand: {
        approvalStep: "confirmProtectedOpenAiKeyByHand",
        approval: undefined,
      },
      checkAnthropicKeyProtected: { approvalStep: undefined, approval: undefined },
      resolveAlertAfterProtectedAnthropicKeyByHand: {
        approvalStep: "confirmProtectedAnthropicKeyByHand",
        approval: undefined,
      },
      checkAwsKeyProtected: { approvalStep: undefined, approval: undefined },
      resolveAlertAfterProtectedAwsKeyByHand: {
        approvalStep: "confirmProtectedAwsKeyByHand",
        approval: undefined,
      },
      checkBedrockKeyProtected: { approvalStep: undefined, approval: undefined },
      resolveAlertAfterProtectedBedrockKeyByHand: {
        approvalStep: "confirmProtectedBedrockKeyByHand",
        approval: undefined,
      },
      revokeKey: { approvalStep: "approveRevoke", approval: undefined },
      // After the gated revoke, not behind an approval of its own.
      resolveAlert: { approvalStep: undefined, approval: undefined },
      resolveAlertAfterManualRevoke: { approvalStep: "confirmManualRevoke", approval: undefined },
      locateAnthropicKey: { approvalStep: undefined, approval: undefined },
      disableAnthropicKey: { approvalStep: "approveAnthropicKey", approval: undefined },
      resolveAlertAfterAnthropicKeyByHand: { approvalStep: "confirmAnthropicKeyByHand", approval: undefined },
      resolveAlertAfterAnthropicAdminKeyByHand: {
        approvalStep: "confirmAnthropicAdminKeyByHand",
        approval: undefined,
      },
      locateAwsKey: { approvalStep: undefined, approval: undefined },
      disableAwsKey: { approvalStep: "approveAwsKey", approval: undefined },
      resolveAlertAfterAwsKeyByHand: { approvalStep: "confirmAwsKeyByHand", approval: undefined },
      locateBedrockKey: { approvalStep: undefined, approval: undefined },
      disableBedrockKey: { approvalStep: "approveBedrockKey", approval: undefined },
      resolveAlertAfterBedrockKeyByHand: { approvalStep: "confirmBedrockKeyByHand", approval: undefined },
      locateGenericAnthropicKey: { approvalStep: undefined, approval: undefined },
      checkGenericAnthropicKeyProtected: { approvalStep: undefined, approval: undefined },
      disableGenericAnthropicKey: { approvalStep: "approveGenericAnthropicKey", approval: undefined },
      locateGenericAwsKey: { approvalStep: undefined, approval: undefined },
      checkGenericAwsKeyProtected: { approvalStep: undefined, approval: undefined },
      disableGenericAwsKey: { approvalStep: "approveGenericAwsKey", approval: undefined },
      resolveAlertAfterUnsupportedKeyByHand: {
        approvalStep: "confirmUnsupportedKeyByHand",
        approval: undefined,
      },
    });
  });

  it("refuses an action step two approvals lead to: the action checks one", () => {
    const playbook = fixture("first", {
      first: { ...approve("resolve"), onDeny: "second" } as AuthoredStep,
      second: approve("resolve"),
      resolve: resolveAlert("done"),
    });
    expect(() => compilePlaybook(playbook)).toThrow(
      "unit-gate: action step resolve is the onApprove of two approvals (first and second)",
    );
  });

  const ask = approve("resolve");
  it.each([
    [
      "a choice",
      fixture("pick", {
        pick: {
          type: "choice",
          choices: [{ when: { path: "$.alert.details.validity", equals: "inactive" }, next: "resolve" }],
          otherwise: "ask",
        },
        ask,
        resolve: resolveAlert("done"),
      }),
      "pick goes to resolve",
    ],
    [
      "the approval's own timeout",
      fixture("ask", {
        ask: { ...ask, onTimeout: "resolve" } as AuthoredStep,
        resolve: resolveAlert("done"),
      }),
      "ask goes to resolve",
    ],
    [
      "the start",
      fixture("resolve", {
        resolve: resolveAlert("ask"),
        ask: { ...ask, onDeny: "done" } as AuthoredStep,
      }),
      "startAt goes to resolve",
    ],
  ] as const)("refuses another way into a gated action (%s)", (_way, playbook, message) => {
    expect(() => compilePlaybook(playbook)).toThrow(
      `unit-gate: ${message}, which runs only once approval ask is given`,
    );
  });
});
