import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AlertType } from "../../functions/shared/alert.js";
import { playbookNames } from "../../functions/triage/load-config.js";
import { playbookForType } from "../../functions/triage/routing.js";
import { fromRoot } from "../../infra/aws/paths.js";
import { playbooks } from "../../playbooks/index.js";
import { playbookFacts } from "../../playbooks/playbook-facts.generated.js";
import { factsOf, PLAYBOOK_FACTS_FILE, playbookFactsModule } from "../../playbooks/playbook-facts.js";

/**
 * Triage routes by the playbooks' facts (playbook-facts.generated.ts), not by their definitions: these checks keep
 * the two from drifting apart.
 */
const REGENERATE = "run `npm run compile-playbooks -- golden` and review the diff before committing";

describe("the playbook facts triage routes by", () => {
  it("are every playbook's name and alert types, in playbooks/index.ts order", () => {
    expect(
      factsOf(playbookFacts),
      `${PLAYBOOK_FACTS_FILE} no longer matches the playbooks: ${REGENERATE}`,
    ).toStrictEqual(factsOf(playbooks));
  });

  it("are exactly the file `npm run compile-playbooks -- golden` writes", () => {
    expect(
      readFileSync(fromRoot(PLAYBOOK_FACTS_FILE), "utf8"),
      `${PLAYBOOK_FACTS_FILE} is not what the generator writes: ${REGENERATE}`,
    ).toBe(playbookFactsModule(playbooks));
  });

  it("are written differently when a playbook is renamed or handles another type", () => {
    const [first, ...rest] = playbooks;
    if (!first) throw new Error("no playbook");
    const text = playbookFactsModule(playbooks);
    expect(playbookFactsModule([{ ...first, name: "renamed" }, ...rest])).not.toBe(text);
    expect(playbookFactsModule([{ ...first, handles: ["other"] }, ...rest])).not.toBe(text);
    expect(playbookFactsModule([...rest, first])).not.toBe(text);
  });

  it("are written as the linter formats them, even for a playbook that handles every type", () => {
    const text = playbookFactsModule([{ name: "handles-everything", handles: AlertType.options }]);
    for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(110);
    for (const type of AlertType.options) expect(text).toContain(`"${type}"`);
  });

  it("give routing the first playbook that handles each type, and the names routes may give", () => {
    for (const type of AlertType.options) {
      const general = playbooks.find((p) => p.handles.includes(type) && !("onlyWithDetail" in p));
      expect(playbookForType(type), type).toBe(general?.name);
    }
    expect(playbookNames).toEqual(playbooks.map((playbook) => playbook.name));
  });

  it("give an alert carrying a playbook's onlyWithDetail to that playbook, and one without it (or null) to the next", () => {
    const poisoned = { poisonedDocument: "s3://support-kb-docs/kb/hotel-reviews/review-0142.html" };
    expect(playbookForType("prompt_injection", poisoned)).toBe("quarantine-poisoned-document");
    expect(playbookForType("prompt_injection", {})).toBe("tighten-guardrail");
    expect(playbookForType("prompt_injection", { poisonedDocument: null })).toBe("tighten-guardrail");
    expect(playbookForType("jailbreak", poisoned)).toBe("throttle-abuser");
    expect(playbookFactsModule(playbooks)).toContain('onlyWithDetail: "poisonedDocument"');
  });
});
