import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { actions } from "../../functions/actions/registry.js";
import { problemsOf } from "../../playbooks/cli.js";
import { compileUndoMachine, UNDO_MACHINE } from "../../playbooks/undo.js";

type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)("asl-validator") as AslValidator;

describe("the undo machine", () => {
  const machine = compileUndoMachine();
  const states = machine.definition.States as Record<string, Record<string, unknown>>;

  it("is valid ASL whose every placeholder is substituted", () => {
    expect(machine.name).toBe(UNDO_MACHINE);
    const verdict = aslValidator(structuredClone(machine.definition));
    expect(verdict.isValid, verdict.errorsText("\n")).toBe(true);
    expect(problemsOf(machine)).toEqual([]);
  });

  it("routes each action that can undo to its own function in undo mode, and nothing else", () => {
    const undoable = Object.values(actions)
      .filter(({ definition }) => definition.reversible && definition.undo)
      .map(({ definition }) => definition.name)
      .sort();
    expect(undoable).toEqual([
      "anthropic.deactivate-key",
      "aws.deactivate-access-key",
      "aws.deactivate-bedrock-api-key",
      "aws.revoke-role-sessions",
      "bedrock-agent.disable-action-group",
      "bedrock-agent.pause-alias",
      "bedrock-agent.route-alias-to-version",
      "bedrock-kb.quarantine-document",
      "bedrock.tighten-prompt-attack-filter",
      "bedrock.tighten-sensitive-information",
      "github.resolve-secret-scanning-alert",
      "litellm.block-end-user",
      "litellm.throttle-virtual-key",
      "sagemaker.rollback-endpoint",
      "ssm.put-parameter-value",
    ]);
    const route = states["undo.route"] as {
      Choices: { StringEquals: string; Next: string }[];
      Default: string;
    };
    expect(route.Choices.map((choice) => choice.StringEquals).sort()).toEqual(undoable);
    expect(route.Default).toBe("undo.notReversible");
    for (const name of undoable) {
      expect(states[`undo.${name}`]).toMatchObject({
        Parameters: {
          Payload: { mode: "undo", "input.$": "$.input", "output.$": "$.output", "dryRun.$": "$.dryRun" },
        },
        Next: "undo.recorded",
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "undo.failed" }],
      });
    }
    expect(Object.values(machine.substitutions)).toEqual(
      expect.arrayContaining([
        { kind: "recorder" },
        ...undoable.map((action) => ({ kind: "action", action })),
      ]),
    );
    expect(Object.values(machine.substitutions)).toHaveLength(undoable.length + 1);
  });

  it("records a failure (and an action that cannot undo) before failing the execution", () => {
    expect(states["undo.notReversible"]).toMatchObject({ Type: "Pass", Next: "undo.failed" });
    expect(states["undo.failed"]).toMatchObject({
      Parameters: { Payload: { kind: "undo_failed", "error.$": "$.error" } },
      Next: "undo.failed.end",
    });
    expect(states["undo.failed.end"]).toMatchObject({ Type: "Fail" });
  });
});
