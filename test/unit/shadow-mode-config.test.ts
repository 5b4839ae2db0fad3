import { describe, expect, it } from "vitest";
import { defineTriageConfig, playbookMode } from "../../functions/triage/config.js";
import { playbookNames } from "../../functions/triage/load-config.js";
import { checkTriageConfig } from "../../functions/triage/read-config.js";
import { checkTeamConfig } from "../../infra/aws/team-config.js";

const SETTINGS = { slackChannel: "C0INCIDENTS", approvers: ["U0APPROVER"] };

describe("per-playbook mode (triage.playbooks.<name>.mode)", () => {
  it("is enforce unless the configuration names the playbook, and shadow when it says so", () => {
    const config = defineTriageConfig({
      playbooks: { "leaked-ai-key": { mode: "shadow" }, "rollback-model": {} },
    });
    expect(playbookMode(config, "leaked-ai-key")).toBe("shadow");
    expect(playbookMode(config, "rollback-model")).toBe("enforce");
    expect(playbookMode(config, "contain-llmjacking")).toBe("enforce");
    expect(playbookMode(defineTriageConfig({}), "leaked-ai-key")).toBe("enforce");
    // An inherited name is not a playbook the configuration names.
    expect(playbookMode(config, "constructor")).toBe("enforce");
  });

  it("refuses a mode that is neither shadow nor enforce, naming the field", () => {
    const checked = checkTriageConfig(
      { playbooks: { "leaked-ai-key": { mode: "dry" } } },
      { knownPlaybooks: playbookNames, prefix: "triage" },
    );
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems.join("\n")).toContain("triage.playbooks.leaked-ai-key.mode");
  });

  it("refuses a playbook that does not exist, naming the path and the playbooks that do", () => {
    const checked = checkTriageConfig(
      { playbooks: { "leaked-ai-keys": { mode: "shadow" } } },
      { knownPlaybooks: playbookNames, prefix: "triage" },
    );
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems).toEqual([
      `triage.playbooks.leaked-ai-keys: no playbook named "leaked-ai-keys" (known: ${playbookNames.join(", ")})`,
    ]);
  });

  it("refuses an unknown field beside mode, and is checked by the team configuration as a whole", () => {
    const team = checkTeamConfig({
      settings: SETTINGS,
      triage: {
        playbooks: { "leaked-ai-key": { mode: "shadow", notify: true }, "no-such": { mode: "shadow" } },
      },
    });
    expect(team.ok).toBe(false);
    if (team.ok) return;
    const problems = team.problems.join("\n");
    expect(problems).toContain("triage.playbooks.leaked-ai-key");
    expect(problems).toContain('triage.playbooks.no-such: no playbook named "no-such"');
    const good = checkTeamConfig({
      settings: SETTINGS,
      triage: { playbooks: { "leaked-ai-key": { mode: "shadow" } } },
    });
    expect(good.ok && good.config.triage.playbooks).toEqual({ "leaked-ai-key": { mode: "shadow" } });
  });
});
