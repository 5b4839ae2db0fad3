import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import * as errors from "../../functions/shared/errors.js";
import { assertJsonPathOnly, type CompiledPlaybook, compilePlaybook } from "../../playbooks/compile.js";
import { definePlaybook } from "../../playbooks/define.js";
import { diagramPagePath, playbookPage } from "../../playbooks/diagram.js";
import { playbooks } from "../../playbooks/index.js";
import { leakedAiKey } from "../../playbooks/leaked-ai-key.js";

type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
// asl-validator is CommonJS without types; it also writes default fields into what it checks.
const aslValidator = createRequire(import.meta.url)("asl-validator") as AslValidator;
const validate = (definition: unknown) => aslValidator(structuredClone(definition));

type State = Record<string, unknown> & { Type: string };
type Scope = { States: Record<string, State> };

/** Every state in a definition, Parallel branches included, with its name. */
function allStates(scope: Scope): [string, State][] {
  return Object.entries(scope.States).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...((state.Branches as Scope[] | undefined) ?? []).flatMap(allStates),
  ]);
}

describe("every playbook", () => {
  it.each(playbooks.map((playbook) => [playbook.name, playbook] as const))(
    "%s equals its reviewed golden file, is valid ASL and its diagram is current",
    (name, playbook) => {
      const definition = compilePlaybook(playbook).definition;
      const golden: unknown = JSON.parse(
        readFileSync(new URL(`../golden/${name}.asl.json`, import.meta.url), "utf8"),
      );
      expect(
        definition,
        `The compiled ASL no longer matches test/golden/${name}.asl.json. If the change is intended, run ` +
          "`npm run compile-playbooks -- golden` and review the diff of the golden file before committing.",
      ).toStrictEqual(golden);
      const verdict = validate(definition);
      expect(verdict.isValid, verdict.errorsText("\n")).toBe(true);
      // The diagram page is drawn from this same ASL (test/unit/playbook-diagrams.test.ts checks it closely).
      expect(
        readFileSync(new URL(`../../${diagramPagePath(name)}`, import.meta.url), "utf8"),
        `${diagramPagePath(name)} no longer matches the compiled ASL: run ` +
          "`npm run compile-playbooks -- golden` and review the diff of the diagram before committing.",
      ).toBe(playbookPage(playbook, definition));
    },
  );
});

const compiled = compilePlaybook(leakedAiKey);
const GOLDEN = new URL("../golden/leaked-ai-key.asl.json", import.meta.url);

describe("compiled leaked-ai-key", () => {
  it("equals the reviewed golden file", () => {
    const golden: unknown = JSON.parse(readFileSync(GOLDEN, "utf8"));
    expect(
      compiled.definition,
      "The compiled ASL no longer matches test/golden/leaked-ai-key.asl.json. If the change is intended, " +
        "run `npm run compile-playbooks -- golden` and review the diff of the golden file before committing.",
    ).toStrictEqual(golden);
  });

  it("is valid Amazon States Language (asl-validator)", () => {
    const verdict = validate(compiled.definition);
    expect(verdict.isValid, verdict.errorsText("\n")).toBe(true);
  });

  it("would be reported invalid if a transition pointed nowhere (the validator is really checking)", () => {
    const broken = structuredClone(compiled.definition);
    (broken.States.locateKey as State).Next = "noSuchState";
    expect(validate(broken).isValid).toBe(false);
  });

  it("retries and catches only States.*, Lambda.* or Quell error class names", () => {
    const classNames = new Set(
      Object.values(errors as Record<string, unknown>)
        .filter(
          (value): value is typeof Error => typeof value === "function" && value.prototype instanceof Error,
        )
        .map((errorClass) => errorClass.name),
    );
    const used = allStates(compiled.definition).flatMap(([, state]) =>
      [
        ...((state.Retry as { ErrorEquals: string[] }[]) ?? []),
        ...((state.Catch as { ErrorEquals: string[] }[]) ?? []),
      ].flatMap((clause) => clause.ErrorEquals),
    );
    expect(classNames).toContain("ApprovalDenied");
    expect(classNames).not.toContain("errorName");
    expect(used).toContain("ApprovalDenied");
    expect(used).toContain("TransientError");
    for (const name of used) {
      expect(
        /^(States|Lambda)\.[A-Za-z]+$/.test(name) || classNames.has(name),
        `unknown error name ${name}`,
      ).toBe(true);
    }
  });

  it("gives every Task a FunctionName placeholder listed in substitutions, and lists nothing unused", () => {
    const used = new Set<string>();
    for (const [name, state] of allStates(compiled.definition)) {
      if (state.Type !== "Task") continue;
      const functionName = (state.Parameters as { FunctionName: string }).FunctionName;
      const placeholder = /^\$\{([A-Za-z0-9_]+)\}$/.exec(functionName)?.[1];
      expect(placeholder, `${name} has FunctionName ${functionName}`).toBeDefined();
      expect(compiled.substitutions, `${name} uses ${functionName}`).toHaveProperty([placeholder as string]);
      used.add(placeholder as string);
    }
    expect([...used].sort()).toEqual(Object.keys(compiled.substitutions).sort());
    expect(compiled.substitutions.Action_openai_find_leaked_key).toEqual({
      kind: "action",
      action: "openai.find-leaked-key",
    });
  });
});

describe("assertJsonPathOnly", () => {
  it("accepts JSONPath", () => {
    expect(() => assertJsonPathOnly(compiled.definition)).not.toThrow();
  });

  it("refuses QueryLanguage JSONata, at the top or in a state", () => {
    expect(() => assertJsonPathOnly({ QueryLanguage: "JSONata", States: {} })).toThrow(/JSONata/);
    expect(() =>
      assertJsonPathOnly({ States: { a: { Type: "Pass", QueryLanguage: "JSONata", End: true } } }),
    ).toThrow("QueryLanguage JSONata at $.States.a");
  });

  it("refuses a {% ... %} expression anywhere, naming where", () => {
    const definition = {
      States: { a: { Type: "Pass", Parameters: { list: ["ok", "  {% $states.input %}"] } } },
    };
    expect(() => assertJsonPathOnly(definition)).toThrow(
      "JSONata expression at $.States.a.Parameters.list[1]",
    );
  });
});

describe("a playbook with a parallel step", () => {
  const parallel = definePlaybook({
    name: "unit-parallel",
    description: "Resolve the GitHub alert and deactivate an AWS key at once.",
    handles: ["leaked_api_key"],
    startAt: "contain",
    steps: {
      contain: {
        type: "parallel",
        branches: [
          {
            startAt: "resolveAlert",
            steps: {
              resolveAlert: {
                type: "action",
                action: "github.resolve-secret-scanning-alert",
                input: {
                  repository: { path: "$.alert.details.repository" },
                  alertNumber: { path: "$.alert.details.alertNumber" },
                  resolution: "revoked",
                  comment: "Resolved by Quell.",
                },
                next: "alertResolved",
              },
              alertResolved: { type: "succeed", outcome: "resolved", summary: "alert resolved" },
            },
          },
          {
            startAt: "deactivateKey",
            steps: {
              deactivateKey: {
                type: "action",
                action: "aws.deactivate-access-key",
                input: { userName: "ci-deployer", accessKeyId: { path: "$.alert.details.accessKeyId" } },
                next: "keyDeactivated",
              },
              keyDeactivated: { type: "succeed", outcome: "mitigated", summary: "key deactivated" },
            },
          },
        ],
        next: "contained",
      },
      contained: { type: "succeed", outcome: "mitigated", summary: "contained" },
    },
  });
  const result: CompiledPlaybook = compilePlaybook(parallel);
  const branches = (result.definition.States.contain?.Branches ?? []) as Scope[];

  it("compiles each branch's actions to Tasks whose placeholders are in substitutions", () => {
    expect(branches).toHaveLength(2);
    const branchFunctions = branches.map((branch) =>
      Object.values(branch.States)
        .filter((state) => state.Type === "Task")
        .map((state) => (state.Parameters as { FunctionName: string }).FunctionName),
    );
    expect(branchFunctions[0]).toContain(`\${Action_github_resolve_secret_scanning_alert}`);
    expect(branchFunctions[1]).toContain(`\${Action_aws_deactivate_access_key}`);
    for (const functionName of branchFunctions.flat()) {
      expect(result.substitutions).toHaveProperty([functionName.slice(2, -1)]);
    }
    expect(result.substitutions.Action_aws_deactivate_access_key).toEqual({
      kind: "action",
      action: "aws.deactivate-access-key",
    });
  });

  it("is valid Amazon States Language", () => {
    const verdict = validate(result.definition);
    expect(verdict.isValid, verdict.errorsText("\n")).toBe(true);
  });
});
