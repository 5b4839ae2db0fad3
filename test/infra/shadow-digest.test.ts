import { describe, expect, it } from "vitest";
import { SHADOW_DIGEST_HOUR_UTC } from "../../functions/shadow-digest/core.js";
import { LAMBDA_INVOKE_WAIT_FOR_TOKEN } from "../../playbooks/compile.js";
import { UNDO_MACHINE } from "../../playbooks/undo.js";
import { type CfnTemplate, logicalIdOf, synthQuell, TEST_CONFIG } from "./quell-app.js";

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every Allow statement of the AWS::IAM::Policy resources attached to a role (by logical id). */
function statementsOfRole(template: CfnTemplate, role: string): Statement[] {
  return Object.values(template.Resources)
    .filter((candidate) => candidate.Type === "AWS::IAM::Policy")
    .filter((policy) => list(policy.Properties?.Roles as { Ref: string }[]).some((ref) => ref.Ref === role))
    .flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    )
    .filter((statement) => statement.Effect === "Allow");
}

describe("the shadow digest, deployed", () => {
  // Synthesized with the cdk-nag plugin (AwsSolutions): a finding fails the synthesis itself.
  const quell = synthQuell();
  const template = quell.raw.logic;
  const digest = quell.logic.shadowDigest.digest;
  const digestId = logicalIdOf(digest.fn);
  const statements = statementsOfRole(template, logicalIdOf(digest.role));

  it("runs once a day at the digest hour (UTC), retried, its failures in the stack's failure queue", () => {
    const rule = template.Resources[logicalIdOf(quell.logic.shadowDigest.rule)]?.Properties ?? {};
    expect(rule.ScheduleExpression).toBe(`cron(0 ${SHADOW_DIGEST_HOUR_UTC} * * ? *)`);
    expect(rule.State).toBe("ENABLED");
    const targets = rule.Targets as Record<string, unknown>[];
    expect(targets).toHaveLength(1);
    expect(targets[0]?.Arn).toEqual({ "Fn::GetAtt": [digestId, "Arn"] });
    expect(
      (targets[0]?.RetryPolicy as { MaximumRetryAttempts: number } | undefined)?.MaximumRetryAttempts,
    ).toBeGreaterThan(0);
    expect(digest.failureQueue).toBe(quell.logic.intake.triage.failureQueue);
    expect(targets[0]?.DeadLetterConfig).toBeDefined();
  });

  it("may only list incidents and read their timelines (Scan, Query), on the incident table, and write none", () => {
    const table = { "Fn::ImportValue": expect.any(String) };
    const dynamo = statements.filter((statement) =>
      list(statement.Action).some((action) => action.startsWith("dynamodb:")),
    );
    expect(dynamo).toHaveLength(1);
    expect(list(dynamo[0]?.Action).sort()).toEqual(["dynamodb:Query", "dynamodb:Scan"]);
    expect(dynamo[0]?.Resource).toEqual(table);
    const granted = statements.flatMap((statement) => list(statement.Action));
    expect(granted.filter((action) => /^(states|events|lambda|s3|iam):/.test(action))).toEqual([]);
    expect(granted).not.toContain("dynamodb:PutItem");
    expect(granted).not.toContain("dynamodb:UpdateItem");
  });

  it("posts to the configured channel with the bot token by reference", () => {
    const environment = template.Resources[digestId]?.Properties?.Environment as
      | { Variables: Record<string, unknown> }
      | undefined;
    const env = environment?.Variables ?? {};
    expect(env.QUELL_SLACK_CHANNEL).toBe(TEST_CONFIG.slackChannel);
    expect(env.QUELL_TABLE_NAME).toBeDefined();
    expect(env.SLACK_BOT_TOKEN_PARAMETER).toBe(quell.data.secrets.parameterName("SLACK_BOT_TOKEN"));
    expect(
      Object.keys(env)
        .filter((name) => name.startsWith("QUELL_"))
        .sort(),
    ).toEqual(["QUELL_SLACK_CHANNEL", "QUELL_TABLE_NAME"]);
  });

  it("lets the approval request settle its own waits (a shadow would-ask) on machines with an approval, with success only", () => {
    const role = logicalIdOf(quell.logic.tasks.approvalRequest.role);
    const settling = statementsOfRole(template, role).filter((statement) =>
      list(statement.Action).some((action) => action.startsWith("states:")),
    );
    const waiting = quell.logic.playbooks.machines.filter((machine) =>
      JSON.stringify(machine.compiled.definition).includes(LAMBDA_INVOKE_WAIT_FOR_TOKEN),
    );
    expect(waiting.map((machine) => machine.name)).toContain("leaked-ai-key");
    expect(waiting.map((machine) => machine.name)).not.toContain(UNDO_MACHINE);
    expect(settling.flatMap((statement) => list(statement.Action)).sort()).toEqual(
      waiting.map(() => "states:SendTaskSuccess"),
    );
    expect(settling.map((statement) => statement.Resource)).toEqual(
      expect.arrayContaining(waiting.map((machine) => ({ Ref: logicalIdOf(machine.stateMachine) }))),
    );
    expect(settling).toHaveLength(waiting.length);
  });
});
