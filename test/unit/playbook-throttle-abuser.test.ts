import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { actions } from "../../functions/actions/registry.js";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { cloudwatch } from "../../functions/sources/aws/cloudwatch.js";
import { promptShields } from "../../functions/sources/detectors/prompt-shields.js";
import { generic } from "../../functions/sources/generic.js";
import type { SourceAdapter } from "../../functions/sources/source.js";
import { playbookForType, route } from "../../functions/triage/routing.js";
import { problemsOf } from "../../playbooks/cli.js";
import { compilePlaybook } from "../../playbooks/compile.js";
import type { Comparison, Step } from "../../playbooks/dsl.js";
import { THROTTLED_LIMITS, throttleAbuser } from "../../playbooks/throttle-abuser.js";
import { triageConfig } from "../../playbooks/triage-config.js";
import { fixture, normalise, receipt } from "../fixtures/aws/support.js";
import { at, atSamplesTime, pathsRead } from "./playbook-paths.js";

const holds = (when: Comparison, state: unknown) =>
  "equals" in when
    ? at(state, when.path) === when.equals
    : "isPresent" in when && (at(state, when.path) !== undefined) === when.isPresent;

/** Where the playbook's choices lead an alert: the first step that is not a choice, as Step Functions would. */
function firstStepAfterChoices(alert: CanonicalAlert): [string, Step] {
  const state = { alert, incidentId: "inc_test", dryRun: false };
  let id = throttleAbuser.startAt;
  for (;;) {
    const step = throttleAbuser.steps[id] as Step;
    if (step.type !== "choice") return [id, step];
    id = step.choices.find((choice) => holds(choice.when, state))?.next ?? step.otherwise;
  }
}

/** A webhook adapter's canonical alert for a payload, as ingest and triage make it. */
// biome-ignore lint/suspicious/noExplicitAny: adapters differ in payload type.
const viaWebhook = (adapter: SourceAdapter<any>, payload: unknown) =>
  CanonicalAlert.parse(adapter.normalize(adapter.schema.parse(payload), receipt)[0]);

const genericAlert = (name: string, edit: (payload: Record<string, unknown>) => void = () => {}) => {
  const payload = JSON.parse(readFileSync(new URL(`../fixtures/generic/${name}`, import.meta.url), "utf8"));
  edit(payload);
  return viaWebhook(generic, payload);
};
const JAILBREAK = "jailbreak-roleplay-repeated-attempts.json";
const EXTRACTION = "model-extraction-embedding-api-probing.json";
const promptShieldsJailbreak = () =>
  viaWebhook(
    promptShields,
    JSON.parse(
      readFileSync(
        new URL("../fixtures/prompt-shields/user-prompt-attack-detected.json", import.meta.url),
        "utf8",
      ),
    ),
  );
const spendAlarm = () =>
  normalise(cloudwatch, fixture("cloudwatch/bedrock-token-spend-alarm.json"))[0] as CanonicalAlert;

describe("throttle-abuser playbook", () => {
  atSamplesTime();

  it("compiles with every placeholder substituted (its golden file is checked with every playbook's)", () => {
    expect(problemsOf(compilePlaybook(throttleAbuser))).toEqual([]);
  });

  it.each(["jailbreak", "model_extraction", "token_spend_anomaly"] as const)(
    "is the playbook triage starts for %s, by the built-in gateway-abuse route",
    (type) => {
      expect(playbookForType(type)).toBe("throttle-abuser");
      const assessed = {
        alert: { ...genericAlert(JAILBREAK), type },
        enrichment: { assets: [], unknownAssets: [], ownerTeams: [] },
        risk: { score: 50, reasons: [] },
      } as unknown as Parameters<typeof route>[1];
      expect(route(triageConfig, assessed)).toMatchObject({
        playbook: "throttle-abuser",
        rule: "gateway-abuse",
      });
    },
  );

  it.each([
    [
      "a generic alert naming an end user",
      () => genericAlert(JAILBREAK),
      "genericApproveBlock",
      "aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60",
    ],
    [
      "a generic alert naming a gateway key (provider app)",
      () => genericAlert(EXTRACTION),
      "genericApproveThrottle",
      "gwk_7a0d3e44",
    ],
    [
      "a generic alert naming a LiteLLM key",
      () =>
        genericAlert(EXTRACTION, (payload) =>
          Object.assign(payload.principal as object, { provider: "litellm" }),
        ),
      "genericApproveThrottle",
      "gwk_7a0d3e44",
    ],
    [
      "Prompt Shields naming an end user",
      promptShieldsJailbreak,
      "detectorApproveBlock",
      "aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60",
    ],
  ])(
    "asks a human first for %s, and finds every fact and input it reads",
    (_name, alert, approvalId, subject) => {
      const canonical = alert();
      const [id, approval] = firstStepAfterChoices(canonical);
      expect(id).toBe(approvalId);
      expect(approval).toMatchObject({ type: "approval", policy: "one" });
      const actionId = (approval as { onApprove: string }).onApprove;
      const action = throttleAbuser.steps[actionId];
      const state = { alert: canonical, incidentId: "inc_test", dryRun: false };
      for (const path of [...pathsRead(approval), ...pathsRead(action)])
        expect(at(state, path), path).not.toBeUndefined();
      expect(at(state, pathsRead(action)[0] ?? "")).toBe(subject);
    },
  );

  it.each([
    ["a CloudWatch token-spend alarm (an account and a model, nobody to block)", spendAlarm],
    [
      "a generic alert naming an IAM user",
      () =>
        genericAlert(JAILBREAK, (payload) =>
          Object.assign(payload.principal as object, { type: "iam_user" }),
        ),
    ],
    [
      "a generic alert naming an API key of another provider",
      () =>
        genericAlert(EXTRACTION, (payload) =>
          Object.assign(payload.principal as object, { provider: "openai" }),
        ),
    ],
  ])("sends %s to a human with the reason nothing automatic applies", (_name, alert) => {
    const canonical = alert();
    const [id, step] = firstStepAfterChoices(canonical);
    expect(id).toBe("reviewByHand");
    expect(step).toMatchObject({ type: "approval", policy: "one", onApprove: "reviewedByHand" });
    expect((step as { plan: string[] }).plan[0]).toMatch(/^Nothing automatic applies/);
    for (const path of pathsRead(step)) expect(at({ alert: canonical }, path), path).not.toBeUndefined();
  });

  it("blocks with a low-blast-radius action and throttles with one that is not, both reversible, always after approval", () => {
    expect(actions["litellm.block-end-user"].definition).toMatchObject({
      reversible: true,
      blastRadius: { low: true },
    });
    expect(actions["litellm.throttle-virtual-key"].definition).toMatchObject({
      reversible: true,
      blastRadius: { low: false },
    });
    for (const family of ["generic", "detector"]) {
      expect(throttleAbuser.steps[`${family}ThrottleKey`]).toMatchObject({
        action: "litellm.throttle-virtual-key",
        input: { ...THROTTLED_LIMITS },
      });
      for (const approval of [`${family}ApproveBlock`, `${family}ApproveThrottle`])
        expect(throttleAbuser.steps[approval]).toMatchObject({ type: "approval", policy: "one" });
    }
  });
});
