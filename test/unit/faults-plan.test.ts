import { describe, expect, it } from "vitest";
import { plansFor } from "../bench/faults/bench.js";
import { matcherFor, WRITE_OPERATIONS } from "../bench/faults/operations.js";
import { createPrng, forRun } from "../bench/faults/prng.js";
import { planRun, SCENARIO_NAMES } from "../bench/faults/scenarios/index.js";
import { incidentDedupKey, slackMarker } from "../bench/faults/subjects.js";

describe("fault harness plans", () => {
  it("draws the same numbers from the same seed, and different ones from another", () => {
    const draw = (seed: number) => Array.from({ length: 5 }, createPrng(seed).next);
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    const prng = createPrng(7);
    const ints = Array.from({ length: 2000 }, () => prng.int(1, 6));
    expect(new Set(ints)).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    expect(forRun(1, 1).next()).not.toBe(forRun(1, 2).next());
  });

  it("plans run n the same alone as among the others, so `--run n` replays it", () => {
    const all = plansFor({ runs: 300, seed: 273 });
    for (const run of [1, 57, 300]) {
      expect(JSON.stringify(plansFor({ runs: 1, seed: 273, only: [run] })[0])).toBe(
        JSON.stringify(all[run - 1]),
      );
    }
  });

  it("covers every scenario, and gives every run its own subject, dedup key and Slack marker", () => {
    const plans = plansFor({ runs: 1000, seed: 1 });
    expect(new Set(plans.map((plan) => plan.scenario))).toEqual(new Set(SCENARIO_NAMES));
    const keys = plans.map((plan) => incidentDedupKey(plan.subject, 1));
    expect(new Set(keys).size).toBe(plans.length);
    // A run's Slack marker matches its own card text (a leaked key's card links its GitHub alert) and no other's.
    const cardText = (plan: (typeof plans)[number]) =>
      plan.subject.kind === "leaked-key"
        ? `https://github.example/security/secret-scanning/${plan.subject.alertNumber}"`
        : JSON.stringify(plan.subject);
    const sample = plans.slice(0, 300);
    for (const plan of sample) {
      const matching = sample.filter((other) => slackMarker(plan.subject).test(cardText(other)));
      expect(matching, plan.summary).toEqual([plan]);
    }
    // Kills are planned only by the kill scenarios, throttling only by its own.
    const disrupted = plans.filter((plan) => plan.kill);
    for (const plan of disrupted) {
      const throttles = plan.kill?.target === "throttle";
      expect(plan.scenario).toBe(throttles ? "dynamodb-throttling" : `kill-${plan.kill?.target}`);
      expect(Boolean(plan.kill?.throttle)).toBe(throttles);
    }
  });

  it("aims every planned fault at a request the run's subject really makes", () => {
    for (const plan of plansFor({ runs: 1000, seed: 5 })) {
      for (const fault of plan.faults)
        expect(matcherFor(fault.operation, plan.subject), plan.summary).toBeDefined();
    }
    expect(planRun(5, 3).run).toBe(3);
    expect(WRITE_OPERATIONS).toContain("openai.delete-key");
  });
});
