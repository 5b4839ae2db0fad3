import { describe, expect, it } from "vitest";
import { admission, githubRefusingEverythingLine } from "../../functions/ingest/admission.js";
import { github } from "../../functions/sources/github.js";
import { admitGitHubSender, GitHubAllowList } from "../../functions/sources/github-allow.js";
import { defineTriageConfig } from "../../functions/triage/config.js";
import { triageConfig } from "../../playbooks/triage-config.js";
import { fixture } from "./triage-harness.js";

/** Issue 11 item 15: only allowed GitHub organisations, repositories or App installations may post. */

const allow = GitHubAllowList.parse({
  organizations: ["Example-Corp"],
  repositories: ["partner-org/shared-models"],
  installations: [4242],
});

describe("the GitHub allow-list", () => {
  it("admits an allowed organisation (whatever the case), repository or installation", () => {
    expect(
      admitGitHubSender(allow, { repository: "example-corp/any", organization: "example-corp" }),
    ).toEqual({
      allowed: true,
    });
    expect(admitGitHubSender(allow, { repository: "EXAMPLE-CORP/any" })).toEqual({ allowed: true });
    expect(admitGitHubSender(allow, { repository: "partner-org/Shared-Models" })).toEqual({ allowed: true });
    expect(admitGitHubSender(allow, { repository: "someone/else", installationId: 4242 })).toEqual({
      allowed: true,
    });
  });

  it("refuses every other sender, naming its organisation, repository and installation", () => {
    expect(admitGitHubSender(allow, { repository: "partner-org/other", installationId: 7 })).toEqual({
      allowed: false,
      message:
        "GitHub organisation partner-org (repository partner-org/other, installation 7) is not on the GitHub allow-list (github.allow in the triage configuration)",
    });
    // The organisation the payload names wins over the repository's owner.
    expect(
      admitGitHubSender(allow, { repository: "example-corp/x", organization: "evil-corp" }).allowed,
    ).toBe(false);
  });

  it("allows nobody when empty (the default), says so, and is said at start-up", () => {
    const empty = defineTriageConfig({});
    expect(empty.github.allow).toEqual({ organizations: [], repositories: [], installations: [] });
    expect(admitGitHubSender(empty.github.allow, { repository: "example-corp/x" })).toEqual({
      allowed: false,
      message: expect.stringContaining("the GitHub allow-list is empty, so every delivery is refused"),
    });
    expect(githubRefusingEverythingLine(empty)).toMatch(/refuses every delivery .* \(fail closed\)$/);
    expect(githubRefusingEverythingLine(triageConfig)).toBeUndefined();
  });

  it("is validated with the path of a bad entry", () => {
    expect(() => defineTriageConfig({ github: { allow: { repositories: ["not a repo"] } } })).toThrow(
      "github.allow.repositories.0: a repository as owner/name",
    );
  });

  it("admits the sample alerts' organisation in the built-in configuration, and only GitHub is checked", () => {
    const admit = admission(triageConfig);
    const sample = github.schema.parse(fixture("github", "secret-scanning-alert-created-openai-key.json"));
    expect(admit("github", sample)).toEqual({ allowed: true });
    const other = structuredClone(sample);
    other.repository.full_name = "evil-corp/x";
    other.organization = { login: "evil-corp" };
    expect(admit("github", other)).toMatchObject({ allowed: false });
    expect(admission(defineTriageConfig({}))("generic", {})).toEqual({ allowed: true });
  });
});
