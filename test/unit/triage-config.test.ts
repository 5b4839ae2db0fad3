import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { actionSessionName, incidentOfSession } from "../../functions/shared/action-session.js";
import type { CanonicalAlert } from "../../functions/shared/alert.js";
import { defineTriageConfig } from "../../functions/triage/config.js";
import { enrich, Inventory } from "../../functions/triage/enrich.js";
import { playbookNames } from "../../functions/triage/load-config.js";
import { fileLocation, RefreshingTriageConfig } from "../../functions/triage/read-config.js";
import { scoreRisk } from "../../functions/triage/score.js";
import { triageConfig } from "../../playbooks/triage-config.js";

const asset = {
  kind: "app",
  id: "support-chat",
  ownerTeam: "support-platform",
  environment: "production",
  criticality: "high",
} as const;

describe("triage configuration", () => {
  it("loads the example configuration, whose routes name existing playbooks", () => {
    expect(triageConfig.inventory.length).toBeGreaterThan(0);
  });

  it("names every bad field, with its path", () => {
    const attempt = () =>
      defineTriageConfig({
        routes: [
          { id: "a", match: {}, channel: "not a channel" },
          { id: "b", match: { types: ["not_a_type" as never] } },
        ],
        // @ts-expect-error an unknown field is refused, not ignored
        surprise: true,
      });
    expect(attempt).toThrow(/routes\.0\.channel: a Slack channel id/);
    expect(attempt).toThrow(/routes\.1\.match\.types\.0/);
    expect(attempt).toThrow(/Unrecognized key.*surprise/);
  });

  it("refuses an asset listed twice and rules sharing an id", () => {
    const attempt = () =>
      defineTriageConfig({
        inventory: [asset, { ...asset, id: "other", aliases: ["support-chat"] }],
        routes: [
          { id: "a", match: {} },
          { id: "a", match: {} },
        ],
      });
    expect(attempt).toThrow(/inventory\.1\.id: app support-chat is listed twice/);
    expect(attempt).toThrow(/routes\.1\.id: duplicate id a/);
  });

  it("refuses a configuration file whose route names a playbook that does not exist", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quell-config-"));
    const file = join(dir, "triage.json");
    writeFileSync(file, JSON.stringify({ routes: [{ id: "x", match: {}, playbook: "no-such-playbook" }] }));
    const load = () =>
      new RefreshingTriageConfig(fileLocation(file, "whole"), {
        maxAgeSeconds: 0,
        knownPlaybooks: playbookNames,
      }).get();
    await expect(load()).rejects.toThrow('routes.0.playbook: no playbook named "no-such-playbook"');
    writeFileSync(file, "{ not json");
    await expect(load()).rejects.toThrow(`triage configuration file ${file}`);
  });
});

const alert = (changes: Partial<CanonicalAlert> = {}): CanonicalAlert => ({
  id: "alr_test000001",
  source: "generic",
  sourceIds: {},
  type: "prompt_injection",
  severity: "medium",
  status: "firing",
  title: "t",
  occurredAt: "2026-11-25T00:00:00Z",
  receivedAt: "2026-11-25T00:00:00Z",
  dedupKey: "generic:x",
  entities: [],
  tags: { owasp: [], atlas: [] },
  details: {},
  ...changes,
});

describe("enrichment and risk", () => {
  const inventory = new Inventory([
    { ...asset, aliases: [] },
    {
      kind: "guardrail",
      id: "q7x2k9m4w1ba",
      aliases: [],
      ownerTeam: "support-platform",
      environment: "production",
      criticality: "critical",
    },
  ]);

  it("finds a guardrail named by its ARN, and does not report unlisted access keys as unknown AI", () => {
    const result = enrich(
      alert({
        entities: [
          { kind: "guardrail", id: "arn:aws:bedrock:us-east-1:111122223333:guardrail/q7x2k9m4w1ba" },
          { kind: "access_key", id: "AKIAEXAMPLEQ7N2LLMJK" },
          { kind: "model", id: "mystery-model" },
        ],
      }),
      inventory,
    );
    expect(result.assets.map((found) => found.id)).toEqual(["q7x2k9m4w1ba"]);
    expect(result.unknownAssets).toEqual([{ kind: "model", id: "mystery-model" }]);
  });

  it("clamps to 100 and weighs by confidence", () => {
    const critical = alert({ severity: "critical", details: { app: "support-chat", validity: "active" } });
    const guardrail = { kind: "guardrail" as const, id: "q7x2k9m4w1ba" };
    const risk = scoreRisk(critical, enrich({ ...critical, entities: [guardrail] }, inventory));
    expect(risk.score).toBe(100);
    expect(risk.reasons.at(-1)).toBe("confidence 1 (secret validity active): ×1");

    const doubtful = alert({ severity: "low", details: { topFilterConfidence: "NONE" } });
    expect(scoreRisk(doubtful, enrich(doubtful, inventory)).score).toBe(Math.round(25 * 0.75));
  });
});

describe("Quell's own action sessions", () => {
  const incidentId = "inc_01m8amyrhnwxcyq7cm0xqc4m2w";
  const arn = (role: string, session: string) => `arn:aws:sts::111122223333:assumed-role/${role}/${session}`;

  it("recognises only a Quell action role with a Quell session naming an incident", () => {
    const session = actionSessionName(incidentId);
    expect(session).toBe(`quell-${incidentId}`);
    expect(incidentOfSession(arn("quell-action-guardrail", session))).toBe(incidentId);
    expect(incidentOfSession(arn("contractor", session))).toBeUndefined();
    expect(incidentOfSession(arn("quell-action-guardrail", "quell-not-an-incident"))).toBeUndefined();
    expect(incidentOfSession(`arn:aws:iam::111122223333:user/quell-action-x`)).toBeUndefined();
  });
});
