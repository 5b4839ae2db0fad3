import { ParseError } from "@aws-lambda-powertools/parser/errors";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { eventBridgeDetailParser } from "../../functions/shared/eventbridge-detail.js";

const Detail = z.object({ incidentId: z.string().min(1), count: z.number().int() });
const parse = eventBridgeDetailParser(Detail);
const event = (detail: unknown) => ({
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "Incident Timeline Event",
  source: "quell.incident",
  account: "123456789012",
  time: "2026-11-26T10:00:00Z",
  region: "eu-west-1",
  resources: [],
  detail,
});

describe("eventBridgeDetailParser", () => {
  it("returns the checked detail of an EventBridge event", () => {
    expect(parse(event({ incidentId: "inc_1", count: 3, extra: "dropped" }))).toEqual({
      incidentId: "inc_1",
      count: 3,
    });
  });

  it("throws a ParseError naming the detail field that is wrong", () => {
    const thrown = (() => {
      try {
        parse(event({ incidentId: "", count: 1.5 }));
      } catch (error) {
        return error as ParseError;
      }
    })();
    expect(thrown).toBeInstanceOf(ParseError);
    const issues = ((thrown?.cause as z.ZodError) ?? { issues: [] }).issues.map((issue) =>
      issue.path.join("."),
    );
    expect(issues.sort()).toEqual(["detail.count", "detail.incidentId"]);
  });

  it("throws a ParseError for something that is not an EventBridge event", () => {
    expect(() => parse({ detail: { incidentId: "inc_1", count: 1 } })).toThrow(ParseError);
    expect(() => parse("not an event")).toThrow("Failed to parse EventBridge envelope");
  });
});
