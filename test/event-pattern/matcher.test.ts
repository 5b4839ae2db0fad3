import { describe, expect, it } from "vitest";
import { matchesPattern, UnsupportedPatternError } from "./matcher.js";

describe("event-pattern matcher: fields and values", () => {
  const event = {
    source: "aws.guardduty",
    "detail-type": "GuardDuty Finding",
    detail: { type: "Recon:EC2/X" },
  };

  it("matches when every field of the pattern matches, and one listed value is enough", () => {
    expect(matchesPattern({ source: ["aws.guardduty"] }, event)).toBe(true);
    expect(matchesPattern({ source: ["aws.securityhub", "aws.guardduty"] }, event)).toBe(true);
    expect(matchesPattern({ source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"] }, event)).toBe(
      true,
    );
  });

  it("fails when any one field does not match (AND across fields)", () => {
    expect(matchesPattern({ source: ["aws.guardduty"], "detail-type": ["Other"] }, event)).toBe(false);
    expect(matchesPattern({ source: ["aws.guardduty"], detail: { type: ["Impact:IAMUser/X"] } }, event)).toBe(
      false,
    );
  });

  it("compares exactly: case, whitespace and JSON type all count", () => {
    expect(matchesPattern({ source: ["AWS.GuardDuty"] }, event)).toBe(false);
    expect(matchesPattern({ source: ["aws.guardduty "] }, event)).toBe(false);
    expect(matchesPattern({ n: ["5"] }, { n: 5 })).toBe(false);
    expect(matchesPattern({ b: ["true"] }, { b: true })).toBe(false);
    expect(matchesPattern({ z: ["null"] }, { z: null })).toBe(false);
    expect(matchesPattern({ s: [""] }, { s: "" })).toBe(true);
  });

  it("a field missing from the event matches nothing, at any depth", () => {
    expect(matchesPattern({ region: ["us-east-1"] }, event)).toBe(false);
    expect(matchesPattern({ detail: { configuration: { metrics: { id: ["m1"] } } } }, event)).toBe(false);
    expect(matchesPattern({ detail: { type: ["Recon:EC2/X"] } }, { source: "aws.guardduty" })).toBe(false);
    expect(matchesPattern({ detail: { type: ["Recon:EC2/X"] } }, undefined)).toBe(false);
  });

  it("reads own fields only: inherited names are missing", () => {
    expect(matchesPattern({ toString: [{ prefix: "f" }] }, {})).toBe(false);
    expect(matchesPattern({ constructor: { name: ["Object"] } }, {})).toBe(false);
  });

  it("compares leaf values only: an object where a value is expected does not match, nor the reverse", () => {
    expect(matchesPattern({ detail: [{ prefix: "" }] }, event)).toBe(false);
    expect(matchesPattern({ detail: ["[object Object]"] }, event)).toBe(false);
    expect(matchesPattern({ source: { name: ["aws.guardduty"] } }, event)).toBe(false);
  });
});

describe("event-pattern matcher: prefix and suffix", () => {
  it("match the start or the end of a string", () => {
    expect(matchesPattern({ ns: [{ prefix: "AWS/Bedrock" }] }, { ns: "AWS/Bedrock/Guardrails" })).toBe(true);
    expect(matchesPattern({ ns: [{ prefix: "AWS/Bedrock/" }] }, { ns: "AWS/Bedrock" })).toBe(false);
    expect(
      matchesPattern({ t: [{ suffix: "/Impact:IAMUser-X" }] }, { t: "TTPs/Impact/Impact:IAMUser-X" }),
    ).toBe(true);
    expect(
      matchesPattern({ t: [{ suffix: "/Impact:IAMUser-X" }] }, { t: "TTPs/Impact/Impact:IAMUser-X.Y" }),
    ).toBe(false);
  });

  it("are case-sensitive", () => {
    expect(matchesPattern({ ns: [{ prefix: "aws/bedrock" }] }, { ns: "AWS/Bedrock" })).toBe(false);
    expect(matchesPattern({ ns: [{ suffix: "BEDROCK" }] }, { ns: "AWS/Bedrock" })).toBe(false);
  });

  it("match strings only: numbers, booleans and null never match, whatever their text", () => {
    expect(matchesPattern({ n: [{ prefix: "12" }] }, { n: 123 })).toBe(false);
    expect(matchesPattern({ n: [{ suffix: "3" }] }, { n: 123 })).toBe(false);
    expect(matchesPattern({ b: [{ prefix: "t" }] }, { b: true })).toBe(false);
    expect(matchesPattern({ z: [{ prefix: "n" }] }, { z: null })).toBe(false);
    expect(matchesPattern({ n: [{ prefix: "12" }] }, { n: "123" })).toBe(true);
  });

  it("mix with exact values in one list as alternatives", () => {
    const pattern = { ns: ["AWS/Bedrock", { prefix: "AWS/Bedrock/" }] };
    expect(matchesPattern(pattern, { ns: "AWS/Bedrock" })).toBe(true);
    expect(matchesPattern(pattern, { ns: "AWS/Bedrock/Agents" })).toBe(true);
    expect(matchesPattern(pattern, { ns: "AWS/BedrockX" })).toBe(false);
  });
});

describe("event-pattern matcher: arrays in the event", () => {
  it("a leaf array matches when any element does; an empty one matches nothing", () => {
    const pattern = { resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"] };
    expect(
      matchesPattern(pattern, {
        resources: [
          "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x",
          "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        ],
      }),
    ).toBe(true);
    expect(matchesPattern(pattern, { resources: ["arn:aws:s3:::bucket"] })).toBe(false);
    expect(matchesPattern(pattern, { resources: [] })).toBe(false);
  });

  it("nested arrays are searched at every depth", () => {
    expect(matchesPattern({ a: ["x"] }, { a: [["y"], [["x"]]] })).toBe(true);
    expect(matchesPattern({ a: { b: ["x"] } }, { a: [[{ b: "y" }], [[{ b: ["z", ["x"]] }]]] })).toBe(true);
    expect(matchesPattern({ a: ["x"] }, { a: [["y"], [[]]] })).toBe(false);
  });

  it("objects inside a leaf array are not values", () => {
    expect(matchesPattern({ a: [{ prefix: "" }] }, { a: [{ b: "x" }] })).toBe(false);
    expect(matchesPattern({ a: ["x"] }, { a: [{ b: "x" }, "x"] })).toBe(true);
  });

  it("an array of objects matches when one element matches the whole sub-pattern", () => {
    const finding = (type: string, id: string) => ({ Resources: [{ Type: type, Id: id }] });
    const pattern = { findings: { Resources: { Type: [{ prefix: "AwsSageMaker" }] } } };
    const event = { findings: [finding("AwsS3Bucket", "a"), finding("AwsSageMakerNotebookInstance", "b")] };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { findings: [finding("AwsS3Bucket", "a")] })).toBe(false);
  });

  it("two fields of one sub-pattern must match within the same element (array consistency)", () => {
    const pattern = { findings: { Type: ["AwsSageMakerNotebookInstance"], Id: ["b"] } };
    expect(matchesPattern(pattern, { findings: [{ Type: "AwsSageMakerNotebookInstance", Id: "b" }] })).toBe(
      true,
    );
    expect(
      matchesPattern(pattern, {
        findings: [
          { Type: "AwsSageMakerNotebookInstance", Id: "a" },
          { Type: "AwsS3Bucket", Id: "b" },
        ],
      }),
    ).toBe(false);
  });
});

describe("event-pattern matcher: $or", () => {
  const pattern = {
    source: ["aws.cloudwatch"],
    detail: {
      $or: [
        {
          configuration: { metrics: { metricStat: { metric: { namespace: [{ prefix: "AWS/Bedrock" }] } } } },
        },
        { alarmName: [{ prefix: "support-chat-" }] },
      ],
    },
  };
  const alarm = (alarmName: string, namespaces: string[]) => ({
    source: "aws.cloudwatch",
    detail: {
      alarmName,
      configuration: {
        metrics: namespaces.map((namespace, i) => ({ id: `m${i}`, metricStat: { metric: { namespace } } })),
      },
    },
  });

  it("matches when one alternative does, and the other fields still apply (AND)", () => {
    expect(matchesPattern(pattern, alarm("tokens-high", ["AWS/Bedrock"]))).toBe(true);
    expect(matchesPattern(pattern, alarm("support-chat-latency", ["AWS/Lambda"]))).toBe(true);
    expect(matchesPattern(pattern, alarm("support-chat-latency", []))).toBe(true);
    expect(matchesPattern(pattern, { ...alarm("tokens-high", ["AWS/Bedrock"]), source: "aws.other" })).toBe(
      false,
    );
  });

  it("fails when no alternative matches", () => {
    expect(matchesPattern(pattern, alarm("web-cpu", ["AWS/EC2"]))).toBe(false);
    expect(matchesPattern(pattern, alarm("web-cpu", []))).toBe(false);
    expect(matchesPattern(pattern, { source: "aws.cloudwatch", detail: { alarmName: "web-cpu" } })).toBe(
      false,
    );
  });

  it("any metric of a metric-math alarm may satisfy its alternative", () => {
    expect(matchesPattern(pattern, alarm("web-cpu", ["AWS/EC2", "AWS/Bedrock"]))).toBe(true);
  });

  it("at the top level too, and inside elements of an array of objects", () => {
    const top = { $or: [{ source: ["a"] }, { "detail-type": ["b"] }] };
    expect(matchesPattern(top, { source: "x", "detail-type": "b" })).toBe(true);
    expect(matchesPattern(top, { source: "x", "detail-type": "y" })).toBe(false);
    const inside = { findings: { $or: [{ Types: ["t"] }, { Resources: { Type: ["r"] } }] } };
    expect(matchesPattern(inside, { findings: [{ Types: ["u"] }, { Resources: [{ Type: "r" }] }] })).toBe(
      true,
    );
    expect(matchesPattern(inside, { findings: [{ Types: ["u"], Resources: [{ Type: "s" }] }] })).toBe(false);
  });
});

describe("event-pattern matcher: refuses syntax outside its subset", () => {
  it.each([
    ["a number value", { n: [5] }],
    ["null", { n: [null] }],
    ["exists", { n: [{ exists: true }] }],
    ["anything-but", { n: [{ "anything-but": "x" }] }],
    ["wildcard", { n: [{ wildcard: "a*b" }] }],
    ["numeric", { n: [{ numeric: [">", 0] }] }],
    ["prefix with ignore-case", { n: [{ prefix: { "equals-ignore-case": "x" } }] }],
    ["two operators in one condition", { n: [{ prefix: "a", suffix: "b" }] }],
    ["an empty value list", { n: [] }],
    ["an empty object", { n: {} }],
    ["a bare string", { n: "x" }],
    ["$or with one alternative", { $or: [{ n: ["x"] }] }],
    ["$or that is not a list of objects", { $or: [{ n: ["x"] }, "y"] }],
  ])("%s", (_, pattern) => {
    expect(() => matchesPattern(pattern, { n: "x" })).toThrow(UnsupportedPatternError);
  });

  it("refuses a pattern that is not an object", () => {
    expect(() => matchesPattern(["x"], {})).toThrow(UnsupportedPatternError);
  });
});
