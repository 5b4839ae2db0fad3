import { describe, expect, it } from "vitest";
import {
  DEFAULT_LIMIT,
  DEFAULT_WAIT_SECONDS,
  parseAlertFile,
  parseReplayArgs,
  parseSince,
} from "../../infra/local/replay-input.js";
import { leakedKeyAlert } from "./leaked-key-alert.js";

const ALERT = leakedKeyAlert();

describe("replay arguments", () => {
  it("takes a playbook, a window or a file, and bounds", () => {
    expect(parseReplayArgs(["--playbook", "leaked-ai-key"])).toEqual({
      playbook: "leaked-ai-key",
      sinceMs: 7 * 86_400_000,
      sinceText: "7d",
      from: undefined,
      limit: DEFAULT_LIMIT,
      waitSeconds: DEFAULT_WAIT_SECONDS,
    });
    expect(
      parseReplayArgs(["--playbook", "leaked-ai-key", "--since", "12h", "--limit", "5", "--wait", "30"]),
    ).toMatchObject({ sinceMs: 12 * 3_600_000, limit: 5, waitSeconds: 30 });
    expect(parseReplayArgs(["--playbook", "leaked-ai-key", "--from", "alerts.jsonl"])).toMatchObject({
      from: "alerts.jsonl",
    });
  });

  it("says what is wrong", () => {
    const error = (...argv: string[]) => (parseReplayArgs(argv) as { error: string }).error;
    expect(error()).toContain("--playbook <name> is required");
    expect(error("--playbook", "Leaked Key")).toContain("--playbook <name> is required");
    expect(error("--playbook", "leaked-ai-key", "--since", "7 days")).toContain(
      '--since takes 30m, 12h or 7d (at most 90d), not "7 days"',
    );
    expect(error("--playbook", "leaked-ai-key", "--since", "91d")).toContain("at most 90d");
    expect(error("--playbook", "leaked-ai-key", "--since", "1d", "--from", "a.json")).toContain(
      "give one of them",
    );
    expect(error("--playbook", "leaked-ai-key", "--limit", "0")).toContain(
      "--limit takes a whole number from 1 to 200",
    );
    expect(error("--playbook", "leaked-ai-key", "--limit", "201")).toContain("--limit");
    expect(error("--playbook", "leaked-ai-key", "--wait", "soon")).toContain("--wait");
    expect(error("--playbook", "leaked-ai-key", "--from", "")).toContain("--from needs a file");
    expect(error("--playbook", "leaked-ai-key", "--frm", "a.json")).toContain("--frm");
    expect(error("--playbook", "leaked-ai-key", "extra")).toContain("extra");
  });

  it("reads durations in minutes, hours and days", () => {
    expect(parseSince("30m")).toBe(1_800_000);
    expect(parseSince("90d")).toBe(90 * 86_400_000);
    expect(parseSince("0d")).toBeUndefined();
    expect(parseSince("1w")).toBeUndefined();
  });
});

describe("alert files", () => {
  it("reads one alert, an array of them, an exported incident, or JSON Lines", () => {
    const second = { ...ALERT, id: "alr_second0000000000000000000" };
    expect(parseAlertFile(JSON.stringify(ALERT))).toEqual({ ok: true, alerts: [ALERT] });
    expect(parseAlertFile(JSON.stringify([ALERT, second], null, 2))).toEqual({
      ok: true,
      alerts: [ALERT, second],
    });
    const incident = { id: "inc_x", status: "denied", timeline: [], alerts: [ALERT, second] };
    expect(parseAlertFile(JSON.stringify(incident))).toEqual({ ok: true, alerts: [ALERT, second] });
    const lines = `${JSON.stringify(ALERT)}\n\n${JSON.stringify(incident)}\n`;
    expect(parseAlertFile(lines)).toEqual({ ok: true, alerts: [ALERT, ALERT, second] });
  });

  it("names the line and field of every rejection", () => {
    const lines = [
      JSON.stringify(ALERT),
      JSON.stringify({ ...ALERT, severity: "apocalyptic", receivedAt: "yesterday" }),
      "{not json",
      JSON.stringify({ id: "inc_x", alerts: [ALERT, { ...ALERT, type: undefined }] }),
    ].join("\n");
    const parsed = parseAlertFile(lines);
    expect(parsed.ok).toBe(false);
    const errors = (parsed as { errors: string[] }).errors;
    expect(errors[0]).toMatch(/^line 2: severity: /);
    expect(errors[1]).toMatch(/^line 2: receivedAt: /);
    expect(errors[2]).toMatch(/^line 3: not JSON \(/);
    expect(errors[3]).toMatch(/^line 4: alerts\.1\.type: /);
    expect(errors).toHaveLength(4);
  });

  it("names the line an array item starts on", () => {
    const text = `[\n  ${JSON.stringify(ALERT)},\n  {\n    "id": "alr_bad",\n    "title": "no type"\n  }\n]`;
    const errors = (parseAlertFile(text) as { errors: string[] }).errors;
    expect(errors[0]).toMatch(/^line 3: source: /);
    expect(errors.every((error) => error.startsWith("line 3: "))).toBe(true);
  });

  it("refuses a file with no alerts", () => {
    expect(parseAlertFile("  \n")).toEqual({ ok: false, errors: ["the file holds no alerts"] });
    expect(parseAlertFile("[]")).toEqual({ ok: false, errors: ["the file holds no alerts"] });
    expect((parseAlertFile("42") as { errors: string[] }).errors[0]).toMatch(/^line 1: \(alert\): /);
  });
});
