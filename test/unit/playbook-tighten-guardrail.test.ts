import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { guardduty } from "../../functions/sources/aws/guardduty.js";
import { bedrockGuardrails } from "../../functions/sources/detectors/bedrock-guardrails.js";
import { playbookForType } from "../../functions/triage/routing.js";
import { problemsOf } from "../../playbooks/cli.js";
import { compilePlaybook } from "../../playbooks/compile.js";
import { tightenGuardrail } from "../../playbooks/tighten-guardrail.js";
import { fixture, normalise, receipt } from "../fixtures/aws/support.js";
import { at, atSamplesTime, pathsRead } from "./playbook-paths.js";

const compiled = compilePlaybook(tightenGuardrail);
const GOLDEN = new URL("../golden/tighten-guardrail.asl.json", import.meta.url);

const guardDutyAlert = () =>
  normalise(guardduty, fixture("guardduty/ai-prompt-injection-direct-guardrail-intervened.json"))[0];

function detectorAlert() {
  const payload = JSON.parse(
    readFileSync(
      new URL(
        "../fixtures/bedrock-guardrails/applyguardrail-intervened-prompt-attack-and-pii.json",
        import.meta.url,
      ),
      "utf8",
    ),
  );
  return CanonicalAlert.parse(
    bedrockGuardrails.normalize(bedrockGuardrails.schema.parse(payload), receipt)[0],
  );
}

describe("tighten-guardrail playbook", () => {
  atSamplesTime();

  it("equals the reviewed golden file and is valid ASL with every placeholder substituted", () => {
    const golden: unknown = JSON.parse(readFileSync(GOLDEN, "utf8"));
    expect(
      compiled.definition,
      "The compiled ASL no longer matches test/golden/tighten-guardrail.asl.json. If the change is intended, " +
        "run `npm run compile-playbooks -- golden` and review the diff of the golden file before committing.",
    ).toStrictEqual(golden);
    expect(problemsOf(compiled)).toEqual([]);
  });

  it("is the playbook triage starts for prompt_injection", () => {
    expect(playbookForType("prompt_injection")).toBe("tighten-guardrail");
  });

  it.each([
    [
      "GuardDuty PromptInjection.Direct",
      guardDutyAlert,
      "approveGuardDutyTightening",
      "tightenGuardDutyGuardrail",
    ],
    [
      "the bedrock-guardrails detector",
      detectorAlert,
      "approveDetectorTightening",
      "tightenDetectorGuardrail",
    ],
  ])(
    "finds every fact and input it reads in %s's alert (a missing path would fail the execution)",
    (_source, alert, approval, action) => {
      const state = { alert: alert(), incidentId: "inc_test", dryRun: false };
      for (const path of [
        ...pathsRead(tightenGuardrail.steps[approval]),
        ...pathsRead(tightenGuardrail.steps[action]),
      ])
        expect(at(state, path), path).not.toBeUndefined();
      expect(at(state, pathsRead(tightenGuardrail.steps[action])[0] ?? "")).toMatch(/q7x2k9m4w1ba$/);
    },
  );

  it("asks a human (policy one) before the action, whose contract is reversible but not of low blast radius", () => {
    for (const [approval, action] of [
      ["approveGuardDutyTightening", "tightenGuardDutyGuardrail"],
      ["approveDetectorTightening", "tightenDetectorGuardrail"],
    ] as const) {
      expect(tightenGuardrail.steps[approval]).toMatchObject({
        type: "approval",
        policy: "one",
        onApprove: action,
      });
      expect(tightenGuardrail.steps[action]).toMatchObject({
        type: "action",
        action: "bedrock.tighten-prompt-attack-filter",
        next: "tightened",
      });
    }
  });
});
