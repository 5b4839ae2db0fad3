import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { github } from "../../functions/sources/github.js";

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/github/${name}`, import.meta.url), "utf8"));

const receipt = { alertId: "alr_unit0001", receivedAt: "2026-11-25T00:00:00.000Z", deliveryId: "d-1" };

/** The path the ingest and triage functions take: schema, adapter, canonical schema. */
const normalise = (payload: unknown) => {
  const alerts = github.normalize(github.schema.parse(payload), receipt);
  expect(alerts).toHaveLength(1);
  return CanonicalAlert.parse(alerts[0]);
};

describe("GitHub secret_scanning_alert → canonical alert", () => {
  it("a created OpenAI key: leaked_api_key, high, firing, deduplicated by repository and alert number", () => {
    const alert = normalise(fixture("secret-scanning-alert-created-openai-key.json"));
    expect(alert).toMatchObject({
      id: "alr_unit0001",
      source: "github",
      sourceIds: { repositoryId: "702341556", alertNumber: "42", deliveryId: "d-1" },
      type: "leaked_api_key",
      severity: "high",
      status: "firing",
      title: "OpenAI API Key leaked in example-corp/support-chat-service",
      occurredAt: "2026-11-20T09:14:27Z",
      receivedAt: "2026-11-25T00:00:00.000Z",
      dedupKey: "github:702341556:secret_scanning:42",
      tags: { owasp: ["LLM02:2025", "LLM10:2025"], atlas: ["AML.T0055"] },
    });
    expect(alert.entities).toEqual([
      { kind: "repository", id: "example-corp/support-chat-service", provider: "github" },
      { kind: "provider_key", id: "openai_api_key", provider: "openai" },
    ]);
  });

  it("carries the details the leaked-ai-key playbook reads by JSONPath", () => {
    const { details } = normalise(fixture("secret-scanning-alert-created-openai-key.json"));
    expect(details).toMatchObject({
      repository: "example-corp/support-chat-service",
      alertNumber: 42,
      htmlUrl: "https://github.com/example-corp/support-chat-service/security/secret-scanning/42",
      secretTypeDisplayName: "OpenAI API Key",
      provider: "openai",
      validity: "active",
      publiclyLeaked: false,
    });
  });

  it("a publicly leaked Anthropic key is critical", () => {
    const alert = normalise(fixture("secret-scanning-alert-publicly-leaked-anthropic-key.json"));
    expect(alert).toMatchObject({
      type: "leaked_api_key",
      severity: "critical",
      status: "firing",
      dedupKey: "github:715902813:secret_scanning:57",
      details: { provider: "anthropic", publiclyLeaked: true, alertNumber: 57 },
    });
  });

  it("a resolved alert for an inactive key is medium and resolved", () => {
    const alert = normalise(fixture("secret-scanning-alert-resolved-revoked.json"));
    expect(alert).toMatchObject({
      severity: "medium",
      status: "resolved",
      details: { validity: "inactive" },
    });
    // Same alert as the created one, so it lands on the same incident.
    expect(alert.dedupKey).toBe("github:702341556:secret_scanning:42");
  });

  it("a non-AI secret type is `other`, with no provider key and no taxonomy tags", () => {
    const payload = fixture("secret-scanning-alert-created-openai-key.json");
    const alertObject = payload.alert as Record<string, unknown>;
    payload.alert = {
      ...alertObject,
      secret_type: "github_personal_access_token",
      secret_type_display_name: "GitHub Personal Access Token",
    };
    const alert = normalise(payload);
    expect(alert.type).toBe("other");
    expect(alert.details.provider).toBeNull();
    expect(alert.entities.map((entity) => entity.kind)).toEqual(["repository"]);
    expect(alert.tags).toEqual({ owasp: [], atlas: [] });
  });

  it("drops fields Quell does not read, such as a hostile resolution comment", () => {
    const alert = normalise(fixture("hostile-mrkdwn-in-resolution-comment.json"));
    expect(JSON.stringify(alert)).not.toContain("evil.example");
    expect(JSON.stringify(alert)).not.toContain("<!channel>");
  });
});

describe("GitHub payloads that are not secret-scanning alerts", () => {
  const issuePaths = (name: string) => {
    const result = github.schema.safeParse(fixture(name));
    expect(result.success).toBe(false);
    return (result.error?.issues ?? []).map((issue) => issue.path.join(".")).sort();
  };

  it("names the missing alert object", () => {
    expect(issuePaths("bad-missing-alert-object.json")).toEqual(["alert"]);
  });

  it("names the alert number and repository id sent as strings", () => {
    expect(issuePaths("bad-number-and-repo-id-as-strings.json")).toEqual(["alert.number", "repository.id"]);
  });
});

describe("github.checkEventKind (X-GitHub-Event)", () => {
  const check = (event: string | undefined) => github.checkEventKind?.({ "x-github-event": event });

  it("answers ping with 200 pong and does not accept it as an alert", () => {
    expect(check("ping")).toEqual({ accept: false, status: 200, body: { status: "pong" } });
  });

  it("refuses another event with 422 naming it", () => {
    expect(check("push")).toEqual({ accept: false, status: 422, message: expect.stringContaining('"push"') });
  });

  it("accepts secret_scanning_alert, and a delivery without the header", () => {
    expect(check("secret_scanning_alert")).toEqual({ accept: true });
    expect(check(undefined)).toEqual({ accept: true });
  });
});
