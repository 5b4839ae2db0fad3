import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GUARDDUTY_AI_TYPES } from "../../functions/sources/aws/common.js";
import { guardduty } from "../../functions/sources/aws/guardduty.js";
import { securityhub } from "../../functions/sources/aws/securityhub.js";
import { triageConfig } from "../../playbooks/triage-config.js";
import { fixture, normalise } from "../fixtures/aws/support.js";
import { type LocalStore, startLocalStore } from "./local-store.js";
import { deliveryOf, triageDeps, triageOne } from "./triage-harness.js";

/**
 * Issue 11 item 13: GuardDuty finding types map to AI incidents exactly as AWS documents them (GuardDuty AI
 * Protection finding types, and DefenseEvasion:IAMUser/BedrockLoggingDisabled among the IAM finding types). A type
 * that merely starts like one (`…AnomalousModelInvocation.Unrestricted`) is not one: a non-AI finding, recorded as
 * out of scope with why, and no playbook.
 */

const DOCUMENTED = {
  "Impact:IAMUser/AnomalousModelInvocation": "llmjacking",
  "Impact:IAMUser/CostHarvesting": "llmjacking",
  "Impact:IAMUser/PromptInjection.Direct": "prompt_injection",
  "DefenseEvasion:IAMUser/BedrockLoggingDisabled": "guardrail_tampering",
};

const LOOK_ALIKES = [
  "Impact:IAMUser/AnomalousModelInvocation.Unrestricted",
  "Impact:IAMUser/AnomalousModelInvocation2",
  "Impact:IAMUser/CostHarvesting.Bulk",
  "Impact:IAMUser/PromptInjection.Direct.Variant",
  "Impact:IAMUser/PromptInjection",
  "impact:iamuser/anomalousmodelinvocation",
  "DefenseEvasion:IAMUser/BedrockLoggingDisabledPartially",
];

const ANOMALOUS = "guardduty/ai-anomalous-model-invocation-iamuser-key.json";
const ASFF = "securityhub/asff-guardduty-bedrock-invocation-logging-disabled.json";
const OCSF = "securityhub/ocsf-v2-guardduty-anomalous-sagemaker-invocation.json";

/** A GuardDuty finding of `type` (the AnomalousModelInvocation fixture otherwise). */
function finding(type: string) {
  const event = fixture(ANOMALOUS) as { detail: { type: string } };
  event.detail.type = type;
  return event;
}

/** The ASFF copy Security Hub makes of a GuardDuty finding of `type` (`TTPs/<tactic>/<Threat>:<Resource>-<Name>`). */
function asffCopy(type: string) {
  const event = fixture(ASFF) as { detail: { findings: { Types: string[]; ProductFields?: unknown }[] } };
  const [threat, name] = type.split("/") as [string, string];
  for (const copy of event.detail.findings) copy.Types = [`TTPs/Impact/${threat}-${name}`];
  return event;
}

function ocsfCopy(type: string) {
  const text = JSON.stringify(fixture(OCSF)).replaceAll(
    '"Impact:IAMUser/AnomalousModelInvocation"',
    JSON.stringify(type),
  );
  return JSON.parse(text);
}

describe("GuardDuty finding types map exactly", () => {
  it("the AI types are the documented ones, no more", () => {
    expect(Object.fromEntries(GUARDDUTY_AI_TYPES)).toEqual(DOCUMENTED);
  });

  it.each(Object.entries(DOCUMENTED))(
    "%s is %s, from GuardDuty and from Security Hub's ASFF copy",
    (type, expected) => {
      expect(normalise(guardduty, finding(type))[0]).toMatchObject({
        type: expected,
        details: { aiFinding: true },
      });
      expect(normalise(securityhub, asffCopy(type))[0]).toMatchObject({ type: expected });
    },
  );

  it.each(LOOK_ALIKES)("%s is not an AI finding, however it is delivered", (type) => {
    const raw = normalise(guardduty, finding(type))[0];
    expect(raw).toMatchObject({
      type: "other",
      severity: "low",
      details: { aiFinding: false, findingType: type },
    });
    expect(raw?.details.severityRule).toBeNull();
    expect(normalise(securityhub, asffCopy(type))[0]).toMatchObject({ type: "other" });
    expect(normalise(securityhub, ocsfCopy(type))[0]).toMatchObject({ type: "other" });
  });
});

describe("a look-alike GuardDuty type in triage (DynamoDB Local, the built-in configuration)", () => {
  let local: LocalStore;
  beforeAll(async () => {
    local = await startLocalStore();
  });
  afterAll(async () => local?.stop());

  let unique = 0;
  /** The finding about its own key and user, with its own id, so tests never correlate or deduplicate. */
  const delivery = (type: string) => {
    unique++;
    const text = JSON.stringify(finding(type))
      .replaceAll("AKIAEXAMPLEQ7N2LLMJK", `AKIAEXAMPLELOOK${String(unique).padStart(5, "0")}`)
      .replaceAll("svc-docs-indexer", `svc-look-alike-${unique}`)
      .replaceAll(
        "e2c9b8a1f4d3476e9a0b1c2d3e4f5a6b",
        `e2c9b8a1f4d3476e9a0b1c2d3e4f${String(unique).padStart(4, "0")}`,
      );
    return deliveryOf("aws.guardduty", JSON.parse(text));
  };

  it("starts nothing and records the finding as out of scope, naming its type", async () => {
    const { deps, starter } = triageDeps(local, () => new Date(), triageConfig);
    const type = "Impact:IAMUser/AnomalousModelInvocation.Unrestricted";
    const outcome = await triageOne(delivery(type), deps);
    expect(outcome).toEqual({
      outcome: "not_started",
      incidentId: expect.any(String),
      reason: "out_of_scope",
    });
    expect(starter.calls).toEqual([]);
    const incident = await deps.store.getIncidentDetail(outcome.incidentId ?? "missing");
    expect(incident).toMatchObject({ type: "other", status: "no_playbook", playbook: null, alertCount: 1 });
    expect(incident?.timeline.find((event) => event.kind === "not_started")?.detail).toEqual({
      reason: "out_of_scope",
      rule: "default",
      because: `aws.guardduty type ${type} is not one Quell maps to an AI incident type; recorded, nothing started`,
    });
  });

  it("while the documented type starts contain-llmjacking", async () => {
    const { deps, starter } = triageDeps(local, () => new Date(), triageConfig);
    const outcome = await triageOne(delivery("Impact:IAMUser/AnomalousModelInvocation"), deps);
    expect(outcome).toMatchObject({ outcome: "started", playbook: "contain-llmjacking" });
    expect(starter.calls.map((call) => call.playbook)).toEqual(["contain-llmjacking"]);
  });
});
