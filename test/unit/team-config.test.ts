import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkTeamConfig,
  EXAMPLE_CONFIG_PATH,
  quellConfigFrom,
  readTeamConfigFile,
  TeamConfigError,
  triageJsonSchema,
} from "../../infra/aws/team-config.js";

interface Document {
  settings: Record<string, unknown>;
  triage: { routes: unknown[]; inventory: Record<string, unknown>[] };
}
const example = () => JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, "utf8")) as Document;
const problemsOf = (input: unknown): readonly string[] => {
  const checked = checkTeamConfig(input);
  if (checked.ok) throw new Error("expected the configuration to be refused");
  return checked.problems;
};

describe("the team configuration file", () => {
  it("accepts the example, filling the defaults", () => {
    const config = readTeamConfigFile(EXAMPLE_CONFIG_PATH);
    expect(config.settings).toMatchObject({
      slackChannel: "C0QUELLLOCAL",
      approvers: ["U0LOCALRESPONDER", "U0LOCALSECOND"],
    });
    expect(config.triage.routes.map((route) => route.id)).toContain("gateway-abuse");
    expect(quellConfigFrom(config)).toMatchObject({
      environmentName: "dev",
      dryRun: true,
      dedupWindowSeconds: 604800,
    });
  });

  it("refuses a file without slackChannel and approvers, naming both and saying what they are", () => {
    const document = example();
    delete document.settings.slackChannel;
    delete document.settings.approvers;
    const problems = problemsOf(document);
    expect(problems).toContainEqual(
      expect.stringMatching(/^settings\.slackChannel: required: the Slack channel id/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/^settings\.approvers: required: Slack user ids/));
  });

  it("refuses an empty approver list and ids that are not Slack users or groups", () => {
    const document = example();
    document.settings.approvers = [];
    expect(problemsOf(document)).toEqual([
      "settings.approvers: name at least one Slack user or user group id who may approve",
    ]);
    document.settings.approvers = ["U0OK1", "alice@example.com"];
    expect(problemsOf(document)).toEqual([
      "settings.approvers.1: a Slack user (U…, W…) or user group (S…) id",
    ]);
  });

  it("names every bad field of both parts at once, by path", () => {
    const document = example();
    const [first] = document.triage.inventory;
    if (!first) throw new Error("the example has an inventory");
    document.settings.dryRun = "yes";
    document.settings.guardrailAdmins = ["arn:aws:sts::111122223333:assumed-role/Admin/alice"];
    document.settings.surprise = true;
    document.triage.routes.push({ id: "extra", match: {}, playbook: "no-such-playbook" });
    first.criticality = "enormous";
    const problems = problemsOf(document);
    expect(problems).toContainEqual(expect.stringMatching(/^settings\.dryRun: /));
    expect(problems).toContainEqual(
      expect.stringMatching(/^settings\.guardrailAdmins\.0: an IAM user, role or root ARN/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/^settings: Unrecognized key: "surprise"/));
    expect(problems).toContainEqual(expect.stringMatching(/^triage\.inventory\.0\.criticality: /));
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^triage\.routes\.2\.playbook: no playbook named "no-such-playbook" \(known: .*throttle-abuser/,
      ),
    );
  });

  it("refuses a missing part and an unknown top-level key", () => {
    expect(problemsOf({ settings: example().settings })).toEqual([
      "triage: required: the triage part (inventory, routes, …; {} keeps every default)",
    ]);
    expect(problemsOf({ ...example(), $schema: "x" })).toEqual(['(root): Unrecognized key: "$schema"']);
  });

  it("applies -c overrides and names the file and the override when they are wrong", () => {
    const file = join(mkdtempSync(join(tmpdir(), "quell-team-")), "quell.json");
    writeFileSync(file, JSON.stringify(example()));
    expect(readTeamConfigFile(file, { environmentName: "prod", dryRun: "false" }).settings).toMatchObject({
      environmentName: "prod",
      dryRun: false,
    });
    const attempt = () => readTeamConfigFile(file, { environmentName: "9lives", dryRun: "maybe" });
    expect(attempt).toThrow(TeamConfigError);
    expect(attempt).toThrow(`the team configuration ${file} is invalid`);
    expect(attempt).toThrow(/settings\.dryRun \(-c dryRun\): "true" or "false"/);
    expect(attempt).toThrow(/settings\.environmentName: 1-16 letters or digits/);
    writeFileSync(file, "{ not json");
    expect(() => readTeamConfigFile(file)).toThrow(/\(file\): .*JSON/);
  });

  it("generates a draft-04 JSON Schema of the triage part that fits an AppConfig validator", () => {
    const schema = triageJsonSchema();
    const text = JSON.stringify(schema);
    expect(schema.$schema).toBe("http://json-schema.org/draft-04/schema#");
    expect(text.length).toBeLessThan(32_768);
    // What it can say, it says: unknown fields and bad enum values are refused before a deployment.
    expect(schema).toMatchObject({ type: "object", additionalProperties: false });
    expect(text).toContain('"enum":["model","app","key","guardrail","agent"]');
  });
});
