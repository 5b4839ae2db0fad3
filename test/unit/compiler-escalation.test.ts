import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ApprovalModes } from "../../functions/approval-request/events.js";
import { ApprovalDenied, errorName, StatesErrors, ValidationError } from "../../functions/shared/errors.js";
import { goldenText } from "../../playbooks/cli.js";
import { compilePlaybook, LAMBDA_INVOKE, LAMBDA_INVOKE_WAIT_FOR_TOKEN } from "../../playbooks/compile.js";
import { leakedAiKey } from "../../playbooks/leaked-ai-key.js";
import { escalatingPlaybook } from "../fixtures/playbooks/escalating-approval.js";

type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)("asl-validator") as AslValidator;
const validate = (definition: unknown) => aslValidator(structuredClone(definition));

type State = Record<string, unknown> & { Type: string };

/** Refreshed with QUELL_UPDATE_GOLDEN=1 (review its diff like the playbooks' golden files). */
const GOLDEN = fileURLToPath(new URL("../golden/fixture-escalating-approval.asl.json", import.meta.url));

const compiled = compilePlaybook(escalatingPlaybook());
const states = compiled.definition.States as Record<string, State>;

describe("an approval with an escalation", () => {
  it("equals the reviewed golden file", () => {
    if (process.env.QUELL_UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, goldenText(compiled.definition));
    expect(
      compiled.definition,
      "The compiled fixture no longer matches test/golden/fixture-escalating-approval.asl.json. If the change " +
        "is intended, run this test with QUELL_UPDATE_GOLDEN=1 and review the golden file's diff.",
    ).toStrictEqual(JSON.parse(readFileSync(GOLDEN, "utf8")));
  });

  it("is valid Amazon States Language (asl-validator)", () => {
    const verdict = validate(compiled.definition);
    expect(verdict.isValid, verdict.errorsText("\n")).toBe(true);
  });

  it("waits until the escalation, escalates, then waits the rest on the same approval", () => {
    const first = states.approveResolve as State;
    expect(first).toMatchObject({ Resource: LAMBDA_INVOKE_WAIT_FOR_TOKEN, TimeoutSeconds: 1800 });
    expect((first.Parameters as { Payload: Record<string, unknown> }).Payload).toMatchObject({
      step: "approveResolve",
      timeoutSeconds: 3600,
      escalation: { afterSeconds: 1800, to: "S0ONCALL" },
    });
    const catchOf = (state: State, error: string) =>
      (state.Catch as { ErrorEquals: string[]; Next: string }[]).find((c) => c.ErrorEquals.includes(error));
    expect(catchOf(first, StatesErrors.timeout)?.Next).toBe("approveResolve.escalate");
    expect(catchOf(first, errorName(ApprovalDenied))?.Next).toBe("approveResolve.denied");

    const escalate = states["approveResolve.escalate"] as State;
    expect(escalate).toMatchObject({
      Resource: LAMBDA_INVOKE,
      Parameters: {
        FunctionName: `\${Function_approvalRequest}`,
        Payload: { mode: ApprovalModes.escalate, step: "approveResolve", to: "S0ONCALL" },
      },
      ResultPath: null,
      Next: "approveResolve.escalated",
    });
    // A mention that cannot be posted leaves the approval waiting: its first card still works.
    expect(catchOf(escalate, StatesErrors.all)?.Next).toBe("approveResolve.escalated");

    const second = states["approveResolve.escalated"] as State;
    expect(second).toMatchObject({
      Resource: LAMBDA_INVOKE_WAIT_FOR_TOKEN,
      TimeoutSeconds: 1800,
      ResultPath: "$.approvals.approveResolve",
      Next: "resolveAlert",
      Parameters: {
        FunctionName: `\${Function_approvalRequest}`,
        Payload: {
          mode: ApprovalModes.extend,
          "taskToken.$": "$$.Task.Token",
          step: "approveResolve",
          timeoutSeconds: 3600,
        },
      },
    });
    expect(catchOf(second, StatesErrors.timeout)?.Next).toBe("approveResolve.expired");
    expect(catchOf(second, errorName(ApprovalDenied))?.Next).toBe("approveResolve.denied");
    expect(catchOf(second, StatesErrors.all)?.Next).toBe("approveResolve.failed");
    expect(states["approveResolve.expired"]).toMatchObject({
      Parameters: { Payload: { kind: "closed", outcome: "expired" } },
    });
    expect(states["approveResolve.denied"]).toMatchObject({
      Parameters: { Payload: { kind: "closed", outcome: "denied" } },
    });
    expect(compiled.escalatingApprovals).toEqual(["approveResolve"]);
    expect(Object.keys(compiled.substitutions).sort()).toEqual([
      "Action_github_resolve_secret_scanning_alert",
      "Function_approvalRequest",
      "Function_recorder",
    ]);
  });

  it("escalates for the remaining time only: the two waits add up to the approval's timeout", () => {
    const other = compilePlaybook(
      escalatingPlaybook({ escalation: { afterSeconds: 600, to: "U0ONCALL", channel: "C0ESCALATE" } }),
    ).definition.States as Record<string, State>;
    expect(other.approveResolve?.TimeoutSeconds).toBe(600);
    expect(other["approveResolve.escalated"]?.TimeoutSeconds).toBe(3000);
    expect(other["approveResolve.escalate"]).toMatchObject({
      Parameters: { Payload: { to: "U0ONCALL", channel: "C0ESCALATE" } },
    });
  });

  it("with onTimeout, records the approval expired and goes on there (never as approved)", () => {
    const result = compilePlaybook(escalatingPlaybook({ onTimeout: true }));
    const onTimeout = result.definition.States as Record<string, State>;
    expect(validate(result.definition).isValid).toBe(true);
    const second = onTimeout["approveResolve.escalated"] as State;
    const timeoutCatch = (second.Catch as { ErrorEquals: string[]; Next: string }[]).find((c) =>
      c.ErrorEquals.includes(StatesErrors.timeout),
    );
    expect(timeoutCatch?.Next).toBe("approveResolve.expired");
    expect(onTimeout["approveResolve.expired"]).toMatchObject({
      Resource: LAMBDA_INVOKE,
      Parameters: {
        FunctionName: `\${Function_recorder}`,
        Payload: { kind: "approval_expired", step: "approveResolve" },
      },
      Next: "leaveOpen",
    });
    expect(onTimeout["approveResolve.expired.end"]).toBeUndefined();
  });

  it("leaves an approval without escalation as it was (one wait for the whole timeout)", () => {
    const states = compilePlaybook(leakedAiKey).definition.States as Record<string, State>;
    expect(states.approveRevoke?.TimeoutSeconds).toBe(86_400);
    expect(Object.keys(states).some((name) => name.includes(".escalate"))).toBe(false);
    expect(compilePlaybook(leakedAiKey).escalatingApprovals).toEqual([]);
  });
});

describe("definePlaybook with an escalation", () => {
  const refusal = (build: () => unknown): string => {
    try {
      build();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const { message, issues } = error as ValidationError;
      return `${message} ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`;
    }
    throw new Error("definePlaybook accepted a playbook it should refuse");
  };

  it("refuses an escalation at or after the timeout", () => {
    expect(
      refusal(() => escalatingPlaybook({ escalation: { afterSeconds: 3600, to: "S0ONCALL" } })),
    ).toContain(
      "fixture-escalating-approval.approveResolve: escalation.afterSeconds (3600) must be less than " +
        "timeoutSeconds (3600)",
    );
  });

  it("refuses a mention that is neither a user group nor a user, and a channel that is not a channel id", () => {
    expect(refusal(() => escalatingPlaybook({ escalation: { afterSeconds: 600, to: "@oncall" } }))).toContain(
      "a Slack user-group id (S…) or user id (U… or W…)",
    );
    expect(
      refusal(() =>
        escalatingPlaybook({ escalation: { afterSeconds: 600, to: "S0ONCALL", channel: "#incidents" } }),
      ),
    ).toContain("a Slack channel id (C… or G…)");
  });

  it("refuses an escalation sooner than a minute, and unknown escalation fields", () => {
    expect(refusal(() => escalatingPlaybook({ escalation: { afterSeconds: 5, to: "S0ONCALL" } }))).toContain(
      "steps.approveResolve.escalation.afterSeconds",
    );
    const extra = { afterSeconds: 600, to: "S0ONCALL", repeat: true } as unknown as {
      afterSeconds: number;
      to: string;
    };
    expect(refusal(() => escalatingPlaybook({ escalation: extra }))).toContain("repeat");
  });

  it("accepts an escalation to a user in its own channel", () => {
    const playbook = escalatingPlaybook({
      escalation: { afterSeconds: 60, to: "W0ONCALL", channel: "G0PRIVATE" },
    });
    expect(playbook).toMatchObject({ kind: "quell.playbook" });
    expect(playbook.steps.approveResolve).toMatchObject({
      escalation: { afterSeconds: 60, to: "W0ONCALL", channel: "G0PRIVATE" },
    });
  });
});
