import { describe, expect, it } from "vitest";
import type { ActionName } from "../../functions/actions/registry.js";
import { ValidationError } from "../../functions/shared/errors.js";
import { compilePlaybook } from "../../playbooks/compile.js";
import { type AuthoredPlaybook, type AuthoredStep, definePlaybook } from "../../playbooks/define.js";

type ResolveStep = Extract<AuthoredStep, { type: "action" }>;

/** A minimal valid playbook; each test breaks exactly one thing in it. */
const resolveStep = (changes: Partial<ResolveStep> = {}): ResolveStep => ({
  type: "action",
  action: "github.resolve-secret-scanning-alert",
  input: {
    repository: { path: "$.alert.details.repository" },
    alertNumber: { path: "$.alert.details.alertNumber" },
    resolution: "revoked",
    comment: "Resolved by Quell.",
  },
  next: "done",
  ...changes,
});

const playbook = (steps: Record<string, AuthoredStep> = { resolve: resolveStep() }): AuthoredPlaybook => ({
  name: "unit-define",
  description: "A playbook the definePlaybook tests break on purpose.",
  handles: ["leaked_api_key"],
  startAt: "resolve",
  steps: { ...steps, done: { type: "succeed", outcome: "resolved", summary: "done" } },
});

/** The message definePlaybook refuses with; fails the test if it accepts. */
function refusal(authored: AuthoredPlaybook): string {
  try {
    definePlaybook(authored);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).message;
  }
  throw new Error("definePlaybook accepted a playbook it should refuse");
}

/** An `auto` approval in front of `onApprove`, started from. */
const autoFirst = (onApprove: string, steps: Record<string, AuthoredStep>): AuthoredPlaybook => ({
  ...playbook({
    ...steps,
    auto: { type: "approval", policy: "auto", title: "Auto", plan: ["Do it."], facts: {}, onApprove },
  }),
  startAt: "auto",
});

describe("the auto approval policy", () => {
  it("is accepted in front of a reversible, low-blast-radius action, and the action is told so", () => {
    const compiled = compilePlaybook(definePlaybook(autoFirst("resolve", { resolve: resolveStep() })));
    const states = compiled.definition.States as Record<string, { Parameters?: { Payload?: object } }>;
    expect(states.auto?.Parameters?.Payload).toMatchObject({ mode: "auto", actionStep: "resolve" });
    expect(states.resolve?.Parameters?.Payload).toMatchObject({ approval: "auto" });
  });

  it("is refused in front of an action that is not reversible or not of low blast radius", () => {
    const revoke: AuthoredStep = {
      type: "action",
      action: "openai.revoke-project-key",
      input: { projectId: "proj_x", keyId: "key_x" },
      next: "done",
    };
    expect(refusal(autoFirst("revoke", { revoke }))).toContain(
      "policy auto needs a reversible, low-blast-radius action; openai.revoke-project-key is not",
    );
    const deactivate: AuthoredStep = {
      type: "action",
      action: "aws.deactivate-access-key",
      input: { userName: "svc", accessKeyId: "AKIAEXAMPLEEXAMPLE12" },
      next: "done",
    };
    expect(refusal(autoFirst("deactivate", { deactivate }))).toContain("aws.deactivate-access-key is not");
  });

  it("is refused in front of anything but an action step", () => {
    expect(refusal(autoFirst("done", { resolve: resolveStep() }))).toContain(
      "policy auto must go straight to an action step",
    );
  });

  it("takes no timeout, approvers or deny path (nobody is asked)", () => {
    const authored = autoFirst("resolve", { resolve: resolveStep() });
    const auto = { ...(authored.steps.auto as object), timeoutSeconds: 60 } as AuthoredStep;
    expect(() => definePlaybook({ ...authored, steps: { ...authored.steps, auto } })).toThrow(
      ValidationError,
    );
  });

  it("cannot take the undo machine's name", () => {
    expect(refusal({ ...playbook(), name: "undo-action" })).toContain("undo-action is Quell's undo machine");
  });
});

describe("definePlaybook", () => {
  it("accepts the unbroken playbook", () => {
    expect(definePlaybook(playbook())).toMatchObject({ kind: "quell.playbook", name: "unit-define" });
  });

  it("refuses a `next` to a missing step", () => {
    expect(refusal(playbook({ resolve: resolveStep({ next: "nowhere" }) }))).toContain(
      'unit-define.resolve: goes to "nowhere", which is not a step here',
    );
  });

  it("refuses a step id used twice across parallel branches (Step Functions needs unique state names)", () => {
    const branch = {
      startAt: "done",
      steps: { done: { type: "succeed", outcome: "resolved", summary: "b" } },
    } as const;
    const message = refusal(
      playbook({ resolve: { type: "parallel", branches: [branch, branch], next: "done" } }),
    );
    expect(message).toContain('step id "done" is used more than once');
  });

  it("refuses an unreachable step", () => {
    const orphan: AuthoredStep = { type: "succeed", outcome: "resolved", summary: "never reached" };
    expect(refusal(playbook({ resolve: resolveStep(), orphan }))).toContain(
      "unit-define.orphan: cannot be reached from startAt",
    );
  });

  it("refuses an unknown action", () => {
    const action = "openai.delete-organization" as unknown as ActionName;
    expect(refusal(playbook({ resolve: resolveStep({ action }) }))).toContain(
      'unknown action "openai.delete-organization"',
    );
  });

  it("refuses a missing required action input", () => {
    const { comment: _omitted, ...input } = resolveStep().input;
    expect(refusal(playbook({ resolve: resolveStep({ input }) }))).toContain(
      'input "comment" of github.resolve-secret-scanning-alert is missing',
    );
  });

  it("refuses an input key the action does not take", () => {
    const input = { ...resolveStep().input, branch: "main" };
    expect(refusal(playbook({ resolve: resolveStep({ input }) }))).toContain(
      'github.resolve-secret-scanning-alert takes no input "branch"',
    );
  });

  it("refuses a JSONata expression as a literal input", () => {
    const input = { ...resolveStep().input, comment: "{% $states.input.alert.title %}" };
    expect(refusal(playbook({ resolve: resolveStep({ input }) }))).toContain(
      'input "comment" is a JSONata expression',
    );
  });
});

describe("choice conditions compile to their ASL comparison operators", () => {
  it("isNull → IsNull, matches → StringMatches, each on its own path", () => {
    const compiled = compilePlaybook(
      definePlaybook({
        ...playbook({
          route: {
            type: "choice",
            choices: [
              { when: { path: "$.alert.details.accessKeyId", isNull: true }, next: "done" },
              { when: { path: "$.alert.details.accessKeyId", matches: "ASIA*" }, next: "done" },
            ],
            otherwise: "resolve",
          },
          resolve: resolveStep(),
        }),
        startAt: "route",
      }),
    );
    const states = compiled.definition.States as Record<string, { Choices?: unknown[] }>;
    expect(states.route?.Choices).toEqual([
      { Variable: "$.alert.details.accessKeyId", IsNull: true, Next: "done" },
      { Variable: "$.alert.details.accessKeyId", StringMatches: "ASIA*", Next: "done" },
    ]);
  });
});
