import { describe, expect, it, vi } from "vitest";
import { type CfnTemplate, logicalIdOf, synthQuell } from "./quell-app.js";

// Production playbooks do not escalate (yet): synthesize Quell with the escalating test fixture added.
vi.mock("../../playbooks/index.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../playbooks/index.js")>();
  const { escalatingPlaybook } = await import("../fixtures/playbooks/escalating-approval.js");
  const playbooks = [...original.playbooks, escalatingPlaybook()];
  return { ...original, playbooks, playbookByName: (name: string) => playbooks.find((p) => p.name === name) };
});

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** Logical ids a value refers to (Ref, Fn::GetAtt), anywhere inside it. */
function referencesIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) referencesIn(item, found);
  else if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "Ref" && typeof inner === "string") found.add(inner);
      else if (key === "Fn::GetAtt" && Array.isArray(inner)) found.add(String(inner[0]));
      else referencesIn(inner, found);
    }
  }
  return found;
}

/** A dependency cycle among the template's resources (Ref, GetAtt, DependsOn), if there is one. */
function cycleIn(template: CfnTemplate): string[] | undefined {
  const edges = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const dependsOn = resource.DependsOn as string | string[] | undefined;
    const targets = new Set([
      ...referencesIn(resource.Properties),
      ...(dependsOn === undefined ? [] : Array.isArray(dependsOn) ? dependsOn : [dependsOn]),
    ]);
    edges.set(
      id,
      [...targets].filter((target) => target in template.Resources),
    );
  }
  const state = new Map<string, "visiting" | "done">();
  const visit = (id: string, path: string[]): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...path, id];
    state.set(id, "visiting");
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next, [...path, id]);
      if (cycle) return cycle;
    }
    state.set(id, "done");
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("a playbook with an escalating approval, deployed", () => {
  const quell = synthQuell();
  const template = quell.raw.logic;
  const role = logicalIdOf(quell.logic.tasks.approvalRequest.role);
  const machineOf = (name: string) => {
    const machine = quell.logic.playbooks.machines.find((candidate) => candidate.name === name);
    if (!machine) throw new Error(`no machine ${name}`);
    return logicalIdOf(machine.stateMachine);
  };

  it("lets the approval request deliver a denial to that machine only (its escalated wait)", () => {
    const statements = Object.values(template.Resources)
      .filter((r) => r.Type === "AWS::IAM::Policy")
      .filter((policy) =>
        ((policy.Properties?.Roles as { Ref: string }[] | undefined) ?? []).some((ref) => ref.Ref === role),
      )
      .flatMap(
        (policy) =>
          (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
      )
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith("states:")));
    // Every machine with an approval wait may be answered with success (a shadow run's would-ask settles it).
    const failing = statements.filter((statement) =>
      [statement.Action].flat().includes("states:SendTaskFailure"),
    );
    expect(failing).toHaveLength(1);
    expect([failing[0]?.Action].flat().sort()).toEqual(["states:SendTaskFailure", "states:SendTaskSuccess"]);
    expect(failing[0]?.Resource).toEqual({ Ref: machineOf("fixture-escalating-approval") });
    expect(JSON.stringify(failing)).not.toContain(machineOf("leaked-ai-key"));
  });

  it("would see a dependency cycle (the check is really checking)", () => {
    const looped: CfnTemplate = {
      Resources: {
        Fn: { Type: "AWS::Lambda::Function", DependsOn: ["Policy"] },
        Machine: {
          Type: "AWS::StepFunctions::StateMachine",
          Properties: { F: { "Fn::GetAtt": ["Fn", "Arn"] } },
        },
        Policy: { Type: "AWS::IAM::Policy", Properties: { R: { Ref: "Machine" } } },
      },
    };
    expect(cycleIn(looped)).toEqual(["Fn", "Policy", "Machine", "Fn"]);
  });

  it("has no dependency cycle (the machine names the function; the function's role may answer the machine)", () => {
    expect(cycleIn(template)).toBeUndefined();
  });
});
