import { readdirSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { EXECUTION_STATUS_CHANGE } from "../../functions/execution-watch/event.js";
import { cloudWatchDetailPattern } from "../../functions/sources/aws/cloudwatch.js";
import { GUARDDUTY_AI_TYPES } from "../../functions/sources/aws/common.js";
import { eventSourceByName, eventSourceNames } from "../../functions/sources/index.js";
import { awsEventRules } from "../../infra/aws/catalog.js";
import { matchesPattern } from "../event-pattern/matcher.js";
import { fixture, normalise } from "../fixtures/aws/support.js";
import { synthQuell, TEST_CONFIG } from "./quell-app.js";

/**
 * Issue 12, "sources filtered where they enter": the rules on the default bus, as synthesized, let in the AI events
 * Quell takes and none of a corpus of ordinary non-AI AWS events, which before reached triage and opened incidents.
 */

const FIXTURES = new URL("../fixtures/aws/", import.meta.url);
const listed = (dir: string) =>
  readdirSync(new URL(`${dir}/`, FIXTURES))
    .filter((name) => name.endsWith(".json"))
    .map((name) => `${dir}/${name}`);

/** The sources' own fixtures (the AI events each adapter is tested with) and the extra AI cases of the rules. */
const AI_EVENTS = [
  ...["guardduty", "securityhub", "cloudwatch", "bedrock", "sagemaker"]
    .flatMap(listed)
    .filter((path) => !/\/non-ai-/.test(path)),
  ...listed("rules-ai"),
];
/** Ordinary AWS events: GuardDuty EC2/S3/Kubernetes/IAM, Security Hub posture, CloudWatch ops alarms, CloudTrail. */
const NON_AI_EVENTS = [...listed("non-ai"), ...listed("guardduty").filter((path) => /\/non-ai-/.test(path))];

const sourceOf = (event: Record<string, unknown>) => event.source as string;

type Pattern = Record<string, unknown>;
let rules: Map<string, Pattern>;

beforeAll(() => {
  const { raw } = synthQuell();
  rules = new Map(
    Object.values(raw.logic.Resources)
      .filter((r) => r.Type === "AWS::Events::Rule" && r.Properties?.EventBusName === "default")
      // Not an alert source: Step Functions' status changes of Quell's own executions (execution-watch.test.ts).
      .filter((r) => {
        const pattern = r.Properties?.EventPattern as { source: string[] } | undefined;
        return pattern?.source[0] !== EXECUTION_STATUS_CHANGE.source;
      })
      .map((r) => {
        const pattern = r.Properties?.EventPattern as Pattern;
        return [(pattern.source as string[])[0] as string, pattern];
      }),
  );
});

const rulesMatching = (event: unknown) =>
  [...rules].filter(([, pattern]) => matchesPattern(pattern, event)).map(([source]) => source);

/** What the rule was before it was filtered: the adapter's source and detail-types only. */
const unfiltered = (event: Record<string, unknown>) => {
  const adapter = eventSourceByName(sourceOf(event));
  return adapter?.detailTypes.includes(event["detail-type"] as string) ?? false;
};

describe("rules on the default bus", () => {
  it("one per registered AWS source, each within the matcher's subset", () => {
    expect([...rules.keys()].sort()).toEqual(eventSourceNames);
    for (const pattern of rules.values()) expect(() => matchesPattern(pattern, {})).not.toThrow();
  });

  it("the corpora cover every registered source, both ways", () => {
    for (const source of eventSourceNames) {
      expect(AI_EVENTS.filter((path) => sourceOf(fixture(path)) === source).length, source).toBeGreaterThan(
        0,
      );
      expect(
        NON_AI_EVENTS.filter((path) => sourceOf(fixture(path)) === source).length,
        source,
      ).toBeGreaterThan(1);
    }
  });
});

describe("non-AI events reach no rule", () => {
  it.each(NON_AI_EVENTS)("%s", (path) => {
    const event = fixture(path);
    expect(rulesMatching(event)).toEqual([]);
    const adapter = eventSourceByName(sourceOf(event));
    if (!adapter) return; // CloudTrail calls of other services: no rule takes their source at all.
    // A real event of a registered source, which the unfiltered rule delivered and triage recorded as not AI.
    expect(unfiltered(event)).toBe(true);
    for (const alert of normalise(adapter, event)) {
      expect(alert.type).toBe("other");
      expect(alert.details.aiPosture ?? false).toBe(false);
    }
  });
});

describe("AI events reach their own rule, and only it", () => {
  it.each(AI_EVENTS)("%s", (path) => {
    const event = fixture(path);
    expect(rulesMatching(event)).toEqual([sourceOf(event)]);
    const adapter = eventSourceByName(sourceOf(event));
    if (!adapter) throw new Error(`no adapter for ${path}`);
    expect(normalise(adapter, event).length).toBeGreaterThan(0);
  });
});

describe("GuardDuty: the mapped AI types, exactly", () => {
  const withType = (type: string) => {
    const event = fixture("guardduty/ai-anomalous-model-invocation-iamuser-key.json") as {
      detail: { type: string };
    };
    event.detail.type = type;
    return event;
  };
  const asffWithTypes = (types: string[]) => {
    const event = fixture("securityhub/asff-guardduty-bedrock-invocation-logging-disabled.json") as {
      detail: { findings: { Types: string[] }[] };
    };
    for (const finding of event.detail.findings) finding.Types = types;
    return event;
  };

  it.each([...GUARDDUTY_AI_TYPES.keys()])(
    "%s gets in raw and as Security Hub's ASFF copy, whatever the tactic",
    (type) => {
      expect(rulesMatching(withType(type))).toEqual(["aws.guardduty"]);
      const asff = type.replace("/", "-");
      for (const types of [
        [`TTPs/Impact/${asff}`],
        [`TTPs/Defense Evasion/${asff}`],
        [asff],
        ["Other", `Effects/${asff}`],
      ])
        expect(rulesMatching(asffWithTypes(types)), types.join()).toEqual(["aws.securityhub"]);
    },
  );

  it.each([
    "Impact:IAMUser/AnomalousModelInvocation.Unrestricted",
    "Impact:IAMUser/CostHarvesting.Bulk",
    "Impact:IAMUser/PromptInjection",
    "impact:iamuser/anomalousmodelinvocation",
    "DefenseEvasion:IAMUser/BedrockLoggingDisabledPartially",
  ])("look-alike %s stays out, raw and as an ASFF copy", (type) => {
    expect(rulesMatching(withType(type))).toEqual([]);
    expect(rulesMatching(asffWithTypes([`TTPs/Impact/${type.replace("/", "-")}`]))).toEqual([]);
  });
});

describe("CloudWatch: alarms by name prefix come from the configuration", () => {
  const NAMED = "rules-ai/aws.cloudwatch--named-prefix-custom-metric.json";
  const ruleWith = (prefixes: string[]) => {
    const spec = awsEventRules({ cloudwatchAlarmNamePrefixes: prefixes }).find(
      (r) => r.source === "aws.cloudwatch",
    );
    if (!spec) throw new Error("no aws.cloudwatch rule");
    return { source: [spec.source], "detail-type": spec.detailTypes, detail: spec.detail };
  };

  it("the test configuration names support-chat-, and the synthesized rule takes its alarms", () => {
    expect(TEST_CONFIG.cloudwatchAlarmNamePrefixes).toEqual(["support-chat-"]);
    expect(rules.get("aws.cloudwatch")).toEqual(ruleWith(["support-chat-"]));
  });

  it("without prefixes only the AI namespaces get in", () => {
    expect(matchesPattern(ruleWith([]), fixture(NAMED))).toBe(false);
    expect(matchesPattern(ruleWith([]), fixture("cloudwatch/bedrock-token-spend-alarm.json"))).toBe(true);
    expect(
      matchesPattern(ruleWith(["web-"]), fixture("non-ai/aws.cloudwatch--ec2-cpu-utilization-high.json")),
    ).toBe(true);
  });

  it.each(["", "   "])("refuses the blank prefix %j, which would take every alarm", (blank) => {
    expect(() => cloudWatchDetailPattern({ cloudwatchAlarmNamePrefixes: ["ok-", blank] })).toThrow(
      /cloudwatchAlarmNamePrefixes\[1\]/,
    );
  });
});
