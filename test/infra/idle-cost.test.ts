import { beforeAll, describe, expect, it } from "vitest";
import { FREE_AT_IDLE, idleMonthlyCost } from "./idle-cost.js";
import { type CfnTemplate, type SynthesizedQuell, synthQuell } from "./quell-app.js";

/** Issue 12: Quell deployed and idle costs at most $0.50 a month (prices and free types: idle-cost.ts). */

const IDLE_BUDGET = 0.5;

let quell: SynthesizedQuell;
beforeAll(() => {
  quell = synthQuell();
});

const template = (resources: CfnTemplate["Resources"]): CfnTemplate => ({ Resources: resources });

describe("idle monthly cost of the synthesized stacks", () => {
  it("is at most $0.50: four alarms at $0.10, no KMS key, no Secrets Manager secret", () => {
    const cost = idleMonthlyCost([quell.raw.data, quell.raw.logic]);
    expect(cost.total).toBeLessThanOrEqual(IDLE_BUDGET);
    expect(cost.items.map((item) => [item.type, item.monthly])).toEqual([
      ["AWS::CloudWatch::Alarm", 0.1],
      ["AWS::CloudWatch::Alarm", 0.1],
      ["AWS::CloudWatch::Alarm", 0.1],
      ["AWS::CloudWatch::Alarm", 0.1],
    ]);
    expect(cost.total).toBe(0.4);
  });

  it("prices what would break the budget, so the test above can fail", () => {
    const alarm = { Type: "AWS::CloudWatch::Alarm", Properties: { Period: 300 } };
    expect(
      idleMonthlyCost([
        template({
          Key: { Type: "AWS::KMS::Key" },
          Secret: { Type: "AWS::SecretsManager::Secret" },
          A: alarm,
          B: alarm,
          // A metric math alarm is billed per metric in its expression.
          Math: {
            Type: "AWS::CloudWatch::Alarm",
            Properties: {
              Metrics: [
                { Id: "a", MetricStat: { Period: 300 } },
                { Id: "b", MetricStat: { Period: 300 } },
                { Id: "sum", Expression: "a+b" },
              ],
            },
          },
          Fast: { Type: "AWS::CloudWatch::Alarm", Properties: { Period: 10 } },
          Table: {
            Type: "AWS::DynamoDB::Table",
            Properties: {
              BillingMode: "PROVISIONED",
              ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
            },
          },
          Advanced: { Type: "AWS::SSM::Parameter", Properties: { Tier: "Advanced" } },
          Standard: { Type: "AWS::SSM::Parameter", Properties: { Tier: "Standard" } },
        }),
      ]).total,
    ).toBe(Math.round((1 + 0.4 + 0.1 + 0.1 + 0.2 + 0.3 + (0.00013 + 0.00065) * 730 + 0.05) * 100) / 100);
  });

  it("refuses a resource type it neither prices nor knows to be free, and provisioned concurrency", () => {
    expect(() => idleMonthlyCost([template({ Nat: { Type: "AWS::EC2::NatGateway" } })])).toThrow(
      /Nat is a AWS::EC2::NatGateway, which test\/infra\/idle-cost.ts neither prices nor knows/,
    );
    expect(() =>
      idleMonthlyCost([
        template({
          Alias: {
            Type: "AWS::Lambda::Alias",
            Properties: { ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 1 } },
          },
        }),
      ]),
    ).toThrow(/provisioned concurrency/);
    // Every free type carries its reason.
    for (const [type, reason] of Object.entries(FREE_AT_IDLE)) expect(reason, type).not.toBe("");
  });
});
