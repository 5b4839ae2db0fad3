import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CanonicalAlert } from "../../functions/shared/alert.js";
import { triageConfigSourceFrom } from "../../functions/triage/config-source.js";
import { enrich, Inventory } from "../../functions/triage/enrich.js";
import { playbookNames, triageConfigFor } from "../../functions/triage/load-config.js";
import {
  type ConfigLog,
  fileLocation,
  NO_CONFIGURATION,
  RefreshingTriageConfig,
} from "../../functions/triage/read-config.js";
import { route } from "../../functions/triage/routing.js";
import { scoreRisk } from "../../functions/triage/score.js";
import { EXAMPLE_CONFIG_PATH, readTeamConfigFile } from "../../infra/aws/team-config.js";

const settings = readTeamConfigFile(EXAMPLE_CONFIG_PATH).settings;
const jailbreak: CanonicalAlert = {
  id: "alr_refresh00001",
  source: "generic",
  sourceIds: {},
  type: "jailbreak",
  severity: "high",
  status: "firing",
  title: "jailbreak through the gateway",
  occurredAt: "2026-11-25T00:00:00Z",
  receivedAt: "2026-11-25T00:00:00Z",
  dedupKey: "generic:refresh",
  entities: [],
  tags: { owasp: [], atlas: [] },
  details: {},
};

function teamFile(routes: unknown[]): string {
  const file = join(mkdtempSync(join(tmpdir(), "quell-refresh-")), "quell.json");
  writeFileSync(file, JSON.stringify({ settings, triage: { routes } }));
  return file;
}
/** Write the file again and move its mtime, as an editor's save does (two writes in a millisecond share one). */
function edit(file: string, triage: unknown, at: number): void {
  writeFileSync(file, JSON.stringify({ settings, triage }));
  utimesSync(file, at, at);
}
const recordingLog = () => {
  const errors: { message: string; attributes: Record<string, unknown> }[] = [];
  const log: ConfigLog = { error: (message, attributes) => errors.push({ message, attributes }) };
  return { log, errors };
};
async function playbookFor(source: { get(): Promise<Parameters<typeof route>[0]> }) {
  const config = await source.get();
  const inventory = new Inventory(config.inventory);
  const enrichment = enrich(jailbreak, inventory);
  return route(config, { alert: jailbreak, enrichment, risk: scoreRisk(jailbreak, enrichment) }).playbook;
}

describe("the triage configuration at run time", () => {
  it("routes by the file as edited, without a restart, once the max age has passed", async () => {
    const file = teamFile([
      { id: "gateway-abuse", match: { types: ["jailbreak"] }, playbook: "throttle-abuser" },
    ]);
    let now = 1_000_000;
    const source = new RefreshingTriageConfig(fileLocation(file, "triage"), {
      maxAgeSeconds: 2,
      knownPlaybooks: playbookNames,
      now: () => now,
    });
    expect(await playbookFor(source)).toBe("throttle-abuser");

    edit(
      file,
      { routes: [{ id: "watch-only", match: { types: ["jailbreak"] }, playbook: null }] },
      2_000_000,
    );
    now += 1000;
    expect(await playbookFor(source)).toBe("throttle-abuser"); // within the max age: the cached one
    now += 1000;
    expect(await playbookFor(source)).toBeNull();
  });

  it("refuses a bad version with an error log naming the fields, and keeps the last good one", async () => {
    const file = teamFile([
      { id: "gateway-abuse", match: { types: ["jailbreak"] }, playbook: "throttle-abuser" },
    ]);
    const { log, errors } = recordingLog();
    const source = new RefreshingTriageConfig(fileLocation(file, "triage"), {
      maxAgeSeconds: 0,
      knownPlaybooks: playbookNames,
      log,
    });
    const good = await source.get();
    edit(
      file,
      { routes: [{ id: "typo", match: { types: ["jailbrake"] }, playbook: "no-such-playbook" }] },
      2_000_000,
    );
    expect(await source.get()).toBe(good);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe("triage configuration refused");
    expect(errors[0]?.attributes.problems).toEqual([
      expect.stringMatching(/^triage\.routes\.0\.match\.types\.0: /),
      expect.stringMatching(/^triage\.routes\.0\.playbook: no playbook named "no-such-playbook"/),
    ]);
    expect(errors[0]?.attributes.keeping).toEqual(expect.any(String));
    // The same bad version is refused once, not logged again on every alert.
    await source.get();
    expect(errors).toHaveLength(1);
  });

  it("fails with the problems when no good version was ever read", async () => {
    const file = teamFile([{ id: "x", match: {}, playbook: "no-such-playbook" }]);
    const source = triageConfigFor({ QUELL_CONFIG_FILE: file, QUELL_CONFIG_MAX_AGE_SECONDS: "0" });
    await expect(source.get()).rejects.toThrow(
      /no good version to keep:\n {2}triage\.routes\.0\.playbook: no playbook named/,
    );
  });

  it("reads the team file's triage part, a triage-only file for compatibility, and refuses to guess", async () => {
    const file = teamFile([{ id: "only", match: {}, playbook: null }]);
    expect((await triageConfigSourceFrom({ QUELL_CONFIG_FILE: file }).get()).routes[0]?.id).toBe("only");
    const triageOnly = join(mkdtempSync(join(tmpdir(), "quell-refresh-")), "triage.json");
    writeFileSync(triageOnly, JSON.stringify({ routes: [{ id: "legacy", match: {} }] }));
    expect((await triageConfigSourceFrom({ QUELL_TRIAGE_CONFIG_FILE: triageOnly }).get()).routes[0]?.id).toBe(
      "legacy",
    );
    expect(() => triageConfigSourceFrom({})).toThrow(NO_CONFIGURATION);
    // A team file given as triage-only (or the reverse) is refused, not half read.
    await expect(triageConfigSourceFrom({ QUELL_TRIAGE_CONFIG_FILE: file }).get()).rejects.toThrow(
      /\(root\): Unrecognized keys: "settings", "triage"/,
    );
  });
});
