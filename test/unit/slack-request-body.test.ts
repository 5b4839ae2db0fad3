import { describe, expect, it } from "vitest";
import { slackBodyProblem } from "../../functions/slack/request-body.js";
import { approvalClickBody, slashCommandBody } from "../../infra/local/signing.js";

const FORM = "application/x-www-form-urlencoded";

describe("slackBodyProblem", () => {
  it.each([
    [
      "a button click",
      approvalClickBody({ approvalId: "inc_x.step", decision: "approve", userId: "U0A" }),
      FORM,
    ],
    ["a slash command (a form with no payload)", slashCommandBody({ text: "help", userId: "U0A" }), FORM],
    [
      "an Events API callback",
      JSON.stringify({ type: "url_verification", challenge: "c" }),
      "application/json",
    ],
  ])("accepts %s as Slack sends it", (_what, body, type) => {
    expect(slackBodyProblem(body, type)).toBeUndefined();
  });

  it.each([
    ["payload=%7Bnot-json", FORM, "invalid_payload"],
    ["payload=null", FORM, "invalid_payload"],
    ["payload=%22text%22", FORM, "invalid_payload"],
    ["payload=%7B%7D&payload=%7B%7D", FORM, "invalid_payload"],
    ["[1,2]", "application/json", "invalid_json"],
    ["", "application/json", "invalid_json"],
  ])("refuses %s (%s) with a 400 %s", (body, type, code) => {
    expect(slackBodyProblem(body, type)).toMatchObject({ status: 400, code, message: expect.any(String) });
  });

  it.each([["text/plain"], [undefined]])(
    "refuses a body of type %s with a 415: Slack never sends one",
    (type) => {
      expect(slackBodyProblem('{"type":"block_actions"}', type)).toMatchObject({
        status: 415,
        code: "unsupported_media_type",
      });
    },
  );
});
