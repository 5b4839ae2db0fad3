import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { parseRawJson } from "../../functions/shared/raw-json.js";
import { pendingApprovalCard } from "../../functions/slack/cards.js";
import { clip, escapeText, type GenericAlertV1, generic } from "../../functions/sources/generic.js";
import { sourceByName } from "../../functions/sources/index.js";

const raw = (name: string) => readFileSync(new URL(`../fixtures/generic/${name}`, import.meta.url));
const fixture = (name: string): Record<string, unknown> => JSON.parse(raw(name).toString("utf8"));

// The fixtures are dated 2026-11-10..24; the occurredAt window is relative to now.
const NOW = new Date("2026-11-25T00:00:00.000Z");
beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});
afterAll(() => vi.useRealTimers());

const receipt = { alertId: "alr_unit0001", receivedAt: "2026-11-25T00:00:00.000Z" };

/** The path ingest and triage take: schema, adapter, canonical schema. */
const normalise = (payload: unknown) => {
  const alerts = generic.normalize(generic.schema.parse(payload), receipt);
  expect(alerts).toHaveLength(1);
  return CanonicalAlert.parse(alerts[0]);
};

/** The issues ingest would answer with, as `path: message`, or the raw-parse refusal. */
function refusal(body: Uint8Array | Record<string, unknown>): { status: 400 | 422; issues: string[] } {
  let value: unknown = body;
  if (body instanceof Uint8Array) {
    const parsed = parseRawJson(body);
    if (!parsed.ok) return { status: 400, issues: [parsed.message] };
    value = parsed.value;
  }
  const result = generic.schema.safeParse(value);
  if (result.success) throw new Error("expected a refusal, but the body was accepted");
  return {
    status: 422,
    issues: result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`),
  };
}

const modified = (name: string, change: (body: Record<string, unknown>) => void) => {
  const body = fixture(name);
  change(body);
  return body;
};

describe("generic schemaVersion 1 → canonical alert", () => {
  it("is registered as POST /alerts/generic, signed with QUELL_WEBHOOK_SECRET", () => {
    expect(sourceByName("generic")).toBe(generic);
    expect(generic.secretName).toBe("QUELL_WEBHOOK_SECRET");
  });

  it("maps every field of a full alert exactly", () => {
    const alert = normalise(fixture("agent-tool-misuse-refund-outside-policy.json"));
    expect(alert).toEqual({
      id: "alr_unit0001",
      source: "generic",
      sourceIds: { emitter: "custom:agent-policy-engine", id: "01M82ABTJ0A9BW9NSKHBPT1NXC" },
      type: "agent_tool_misuse",
      severity: "high",
      status: "firing",
      title: "Bedrock agent called refund tool outside policy 6 times",
      occurredAt: "2026-11-22T19:05:12Z",
      receivedAt: "2026-11-25T00:00:00.000Z",
      dedupKey: "generic:agent_tool_misuse:AGT7KQ2M9X:payments/refund:sess_01JDB0N4F6P1RS",
      entities: [
        { kind: "agent", id: "arn:aws:bedrock:us-east-1:111122223333:agent/AGT7KQ2M9X", provider: "aws" },
        { kind: "account", id: "111122223333", provider: "aws" },
      ],
      tags: { owasp: ["LLM06:2025"], atlas: ["AML.T0053"] },
      details: {
        schemaVersion: "1",
        emitter: "custom:agent-policy-engine",
        emitterAlertId: "01M82ABTJ0A9BW9NSKHBPT1NXC",
        principalType: "agent",
        principalId: "arn:aws:bedrock:us-east-1:111122223333:agent/AGT7KQ2M9X",
        principalProvider: "aws",
        assetKind: "agent_tool",
        assetId: "arn:aws:bedrock:us-east-1:111122223333:agent/AGT7KQ2M9X/actiongroup/payments",
        assetProvider: "aws",
        environment: "prod",
        region: "us-east-1",
        accountId: "111122223333",
        description:
          "travel-booking-agent invoked action group payments/refund for bookings not owned by the session's customer; the policy engine denied 6 calls in 4 minutes. The conversation contains instructions injected from a hotel review page.",
        "label.team": "travel-ai",
        "label.app": "travel-booking",
        "evidence.detector": "agent-policy-engine/3.1",
        "evidence.agentAliasId": "PRODALIAS1",
        "evidence.actionGroup": "payments",
        "evidence.function": "refund",
        "evidence.deniedCalls": 6,
        "evidence.sessionId": "sess_01JDB0N4F6P1RS",
        "evidence.endUserId": "usr_2b7c91",
        "evidence.traceIds": '["trc_9f2e1a","trc_9f2e4c"]',
      },
    });
  });

  it.each([
    [
      "jailbreak-roleplay-repeated-attempts.json",
      {
        type: "jailbreak",
        severity: "medium",
        occurredAt: "2026-11-21T10:14:03Z",
        dedupKey: "generic:jailbreak:hr-assistant:aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60",
        title: "Repeated role-play jailbreak attempts by one user in hr-assistant",
        tags: { owasp: ["LLM01:2025"], atlas: ["AML.T0054"] },
      },
      [{ kind: "end_user", id: "aad:5d2f7b1e-8c3a-4f6d-9e0b-1a2c3d4e5f60", provider: "entra_id" }],
    ],
    [
      "malicious-model-artifact-unsafe-pickle-in-adapter.json",
      {
        type: "malicious_model_artifact",
        severity: "critical",
        occurredAt: "2026-11-23T08:20:41Z",
        dedupKey:
          "generic:malicious_model_artifact:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        title: "Unsafe pickle operators found in uploaded LoRA adapter",
        tags: { owasp: ["LLM03:2025"], atlas: ["AML.T0011.000", "AML.T0018.002"] },
      },
      [
        { kind: "principal", id: "arn:aws:iam::111122223333:user/ext-contractor-ml", provider: "aws" },
        { kind: "account", id: "111122223333", provider: "aws" },
      ],
    ],
    [
      "model-extraction-embedding-api-probing.json",
      {
        type: "model_extraction",
        severity: "medium",
        occurredAt: "2026-11-24T03:12:00Z",
        dedupKey: "generic:model_extraction:gwk_7a0d3e44",
        title: "Distribution-covering query pattern against embeddings API from one API key",
        tags: { owasp: ["LLM10:2025"], atlas: ["AML.T0024.002"] },
      },
      [
        { kind: "principal", id: "gwk_7a0d3e44", provider: "app" },
        { kind: "model", id: "https://inference.example.com/v1/embeddings", provider: "app" },
      ],
    ],
    [
      "model-integrity-change-endpoint-config-swapped.json",
      {
        type: "model_integrity_change",
        severity: "high",
        occurredAt: "2026-11-23T13:40:27Z",
        dedupKey: "generic:model_integrity_change:fraud-scorer-prod:fraud-scorer-cfg-20261123-x",
        title: "fraud-scorer-prod switched to an unapproved endpoint config",
        tags: { owasp: ["LLM04:2025", "LLM09:2025"], atlas: ["AML.T0031"] },
      },
      [
        {
          kind: "principal",
          id: "arn:aws:sts::111122223333:assumed-role/MLOpsBreakGlass/r.patel",
          provider: "aws",
        },
        {
          kind: "model",
          id: "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud-scorer-prod",
          provider: "aws",
        },
        { kind: "account", id: "111122223333", provider: "aws" },
      ],
    ],
    [
      "model-poisoning-training-manifest-hash-mismatch.json",
      {
        type: "model_poisoning",
        severity: "high",
        occurredAt: "2026-11-17T21:30:00Z",
        dedupKey: "generic:model_poisoning:s3://example-ml-datasets/support-ft/v7/",
        title: "Fine-tuning dataset modified after sign-off (hash mismatch on 214 records)",
        tags: { owasp: ["LLM04:2025"], atlas: ["AML.T0020"] },
      },
      [
        {
          kind: "principal",
          id: "arn:aws:sts::111122223333:assumed-role/DataScienceSandbox/m.lee",
          provider: "aws",
        },
        { kind: "account", id: "111122223333", provider: "aws" },
      ],
    ],
    [
      "sensitive-data-leak-card-numbers-in-responses.json",
      {
        type: "sensitive_data_leak",
        severity: "high",
        occurredAt: "2026-11-20T17:45:30Z",
        dedupKey: "generic:sensitive_data_leak:support-chat:usr_f02a9d:2026-11-20T17",
        title: "Payment card numbers returned in support-chat model responses",
        tags: { owasp: ["LLM02:2025"], atlas: ["AML.T0057"] },
      },
      [
        { kind: "end_user", id: "usr_f02a9d", provider: "cognito" },
        {
          kind: "model",
          id: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
          provider: "aws",
        },
        { kind: "account", id: "111122223333", provider: "aws" },
      ],
    ],
    [
      "system-prompt-leak-canary-token-in-output.json",
      {
        type: "system_prompt_leak",
        severity: "high",
        occurredAt: "2026-11-22T11:03:48Z",
        dedupKey: "generic:system_prompt_leak:support-chat:system-prompt@v12:cnry_7f3e1d",
        title: "System prompt canary token appeared in a model response",
        tags: { owasp: ["LLM07:2025"], atlas: ["AML.T0056"] },
      },
      [{ kind: "end_user", id: "usr_44be10", provider: "cognito" }],
    ],
    [
      "unauthorized-model-access-cross-account-opus.json",
      {
        type: "unauthorized_model_access",
        severity: "high",
        occurredAt: "2026-11-24T21:55:19Z",
        dedupKey:
          "generic:unauthorized_model_access:777788889999:ReportingPipeline:anthropic.claude-3-opus-20240229-v1:0",
        title: "Unknown cross-account role invoked a model outside the allow-list",
        tags: { owasp: ["LLM10:2025", "LLM06:2025"], atlas: ["AML.T0040", "AML.T0012"] },
      },
      [
        {
          kind: "principal",
          id: "arn:aws:sts::777788889999:assumed-role/ReportingPipeline/etl-0142",
          provider: "aws",
        },
        { kind: "model", id: "anthropic.claude-3-opus-20240229-v1:0", provider: "aws" },
        { kind: "account", id: "111122223333", provider: "aws" },
      ],
    ],
  ])("%s", (name, expected, entities) => {
    const alert = normalise(fixture(name));
    expect(alert).toMatchObject({
      ...expected,
      source: "generic",
      status: "firing",
      receivedAt: receipt.receivedAt,
    });
    expect(alert.entities).toEqual(entities);
    const body = fixture(name) as unknown as GenericAlertV1;
    expect(alert.sourceIds).toEqual({ emitter: body.source, id: body.id });
    expect(alert.details).toMatchObject({
      emitter: body.source,
      assetKind: body.asset.kind,
      assetId: body.asset.id,
    });
  });

  it("keeps scalars of evidence as they are and arrays and objects as compact JSON", () => {
    const { details } = normalise(fixture("malicious-model-artifact-unsafe-pickle-in-adapter.json"));
    expect(details["evidence.issues"]).toBe(
      '[{"severity":"CRITICAL","operator":"exec","module":"builtins"},{"severity":"CRITICAL","operator":"system","module":"posix"}]',
    );
    expect(details["evidence.detector"]).toBe("modelscan/0.8");
    expect(details["label.team"]).toBe("ml-platform");
  });

  it("defaults status to firing, and carries resolved for the same dedup key", () => {
    const withoutStatus = modified("jailbreak-roleplay-repeated-attempts.json", (body) => {
      delete body.status;
    });
    expect(normalise(withoutStatus).status).toBe("firing");
    const resolved = normalise(
      modified("jailbreak-roleplay-repeated-attempts.json", (body) => {
        body.status = "resolved";
      }),
    );
    expect(resolved.status).toBe("resolved");
    expect(resolved.dedupKey).toBe(normalise(withoutStatus).dedupKey);
  });

  it("writes a title when none is sent, and keeps a minimal alert valid", () => {
    const minimal = {
      schemaVersion: "1",
      id: "01MINIMAL",
      source: "custom:ci",
      type: "leaked_api_key",
      severity: "low",
      occurredAt: "2026-11-24T12:00:00.5Z",
      principal: { type: "service_account", id: "ci-runner", provider: "app" },
      asset: { kind: "repository", id: "example-corp/app", provider: "github", environment: "dev" },
      dedupKey: "ci:leak:1",
    };
    const alert = normalise(minimal);
    expect(alert.title).toBe("leaked_api_key on repository example-corp/app reported by custom:ci");
    expect(alert.entities).toEqual([
      { kind: "principal", id: "ci-runner", provider: "app" },
      { kind: "repository", id: "example-corp/app", provider: "github" },
    ]);
    expect(alert.tags).toEqual({ owasp: ["LLM02:2025", "LLM10:2025"], atlas: ["AML.T0055"] });
  });
});

describe("hostile but valid text", () => {
  const hostile = "hostile-sql-and-slack-mrkdwn-injection-in-title.json";

  it("accepts SQL and Slack mrkdwn in the title and description and keeps the text verbatim", () => {
    const body = fixture(hostile);
    const alert = normalise(body);
    expect(alert).toMatchObject({ type: "model_integrity_change", severity: "high", status: "firing" });
    expect(alert.title).toBe(body.title);
    expect(alert.title).toContain("<!here>");
    expect(alert.details.description).toBe(body.description);
  });

  it("renders escaped on an approval card: no raw ping, link or mention survives", () => {
    const alert = normalise(fixture(hostile));
    const card = pendingApprovalCard({
      incident: {
        id: "inc_hostile0001",
        title: alert.title,
        severity: alert.severity,
        type: alert.type,
        playbook: "x",
      },
      approval: {
        approvalId: "inc_hostile0001.step",
        title: "Roll back the endpoint",
        timeoutAt: "2026-11-26T00:00:00.000Z",
        status: "pending",
        policy: "one",
        approvedBy: [],
      },
      plan: ["Nothing; this is a rendering test."],
      facts: { Title: alert.title, Description: alert.details.description },
      dryRun: true,
    });
    const json = JSON.stringify(card);
    for (const raw of ["<!here", "<!channel>", "<http", "<@U"]) expect(json).not.toContain(raw);
    expect(json).toContain("&lt;!here&gt;");
    expect(json).toContain("&lt;https://evil.example/rollback|Click to roll back&gt;");
  });

  it("escapes control and bidi characters in free text instead of refusing them", () => {
    const alert = normalise(
      modified("jailbreak-roleplay-repeated-attempts.json", (body) => {
        body.title = "admin\u202Etxt.exe\r\nInjected: yes\u0000";
        body.description = "line one\r\nline two\u200B\tend";
        body.evidence = { note: "a\u001b[31mred" };
      }),
    );
    expect(alert.title).toBe("admin\\u202Etxt.exe\\u000D\\u000AInjected: yes\\u0000");
    expect(alert.details.description).toBe("line one\nline two\\u200B\tend");
    expect(alert.details["evidence.note"]).toBe("a\\u001B[31mred");
  });

  it("cuts an over-long description to what details hold, and says so", () => {
    const alert = normalise(
      modified("jailbreak-roleplay-repeated-attempts.json", (body) => {
        body.description = "d".repeat(4000);
      }),
    );
    expect(alert.details.description).toHaveLength(2048);
    expect(alert.details.descriptionTruncated).toBe(true);
  });
});

describe("refusals name the field", () => {
  it.each([
    ["bad-empty-body.json", 400, ["body is empty"]],
    ["bad-invalid-utf8-bytes.json", 400, ["body is not valid UTF-8"]],
    ["bad-non-json-plain-text.json", 400, [expect.stringContaining("body is not JSON")]],
    ["bad-non-json-xml-with-xxe.json", 400, [expect.stringContaining("body is not JSON")]],
    ["bad-nan-and-infinity-literals.json", 400, [expect.stringContaining("body is not JSON")]],
    ["bad-trailing-garbage-after-json.json", 400, [expect.stringContaining("after JSON")]],
    [
      "bad-json-null-literal.json",
      422,
      ["(root): the body must be one JSON object, not null; send one alert per request (no batching)"],
    ],
    [
      "bad-top-level-array.json",
      422,
      ["(root): the body must be one JSON object, not an array; send one alert per request (no batching)"],
    ],
    [
      "bad-missing-required-principal-and-asset.json",
      422,
      [
        "principal: Invalid input: expected object, received undefined",
        "asset: Invalid input: expected object, received undefined",
      ],
    ],
    ["bad-severity-number-not-enum.json", 422, [expect.stringMatching(/^severity: Invalid option/)]],
    ["bad-unknown-type-enum.json", 422, [expect.stringMatching(/^type: Invalid option/)]],
    [
      "bad-occurredAt-not-a-date.json",
      422,
      ["occurredAt: must be an RFC 3339 UTC timestamp such as 2026-11-24T03:12:00Z"],
    ],
    [
      "bad-occurredAt-far-past-1970.json",
      422,
      ["occurredAt: is more than 30 days old; the window is 30 days"],
    ],
    [
      "bad-sql-injection-in-dedupkey.json",
      422,
      ["dedupKey: must be printable ASCII without spaces (characters ! to ~)"],
    ],
  ])("%s → %i", (name, status, issues) => {
    const refused = refusal(new Uint8Array(raw(name)));
    expect(refused.status).toBe(status);
    expect(refused.issues).toEqual(issues);
  });

  it("refuses prototype-pollution keys anywhere, and pollutes nothing", () => {
    const text = JSON.stringify(fixture("jailbreak-roleplay-repeated-attempts.json")).replace(
      '"evidence":{',
      '"evidence":{"__proto__":{"isAdmin":true},"nested":{"constructor":{"prototype":{"approved":true}}},',
    );
    const body = `{"__proto__":{"autoApprove":true},${text.slice(1)}`;
    // Ingest refuses the raw body first (400), naming the first forbidden key and where it is.
    expect(refusal(new TextEncoder().encode(body))).toEqual({
      status: 400,
      issues: [
        'forbidden key "__proto__" in object at $ (prototype-pollution guard: __proto__, constructor and prototype are refused at any depth)',
      ],
    });
    const inner = `{${text.slice(1)}`.replace('"evidence":{"__proto__":{"isAdmin":true},', '"evidence":{');
    expect(refusal(new TextEncoder().encode(inner)).issues).toEqual([
      'forbidden key "constructor" in object at $.evidence.nested (prototype-pollution guard: __proto__, constructor and prototype are refused at any depth)',
    ]);
    // The schema refuses every such key too, should a value ever reach it another way.
    const refused = refusal(JSON.parse(body));
    expect(refused.status).toBe(422);
    expect(refused.issues).toEqual([
      '__proto__: the key "__proto__" is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)',
      'evidence.__proto__: the key "__proto__" is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)',
      'evidence.nested.constructor: the key "constructor" is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)',
    ]);
    const probe = {} as Record<string, unknown>;
    expect([probe.isAdmin, probe.approved, probe.autoApprove]).toEqual([undefined, undefined, undefined]);
  });

  it("refuses control, bidi and zero-width characters in identifiers, naming the code point", () => {
    const refused = refusal(
      modified("jailbreak-roleplay-repeated-attempts.json", (body) => {
        body.id = "01M7\u202EYSJ";
        body.dedupKey = "jailbreak:\u0000x";
        (body.principal as Record<string, unknown>).id = "usr\u200B_1";
        (body.asset as Record<string, unknown>).id = "hr-assistant\u2066";
        body.labels = { team: "people\u001b[31m" };
      }),
    );
    expect(refused.issues).toEqual([
      "id: must be printable ASCII without spaces (characters ! to ~)",
      "principal.id: contains U+200B at index 3; identifiers must not contain control, bidi or zero-width characters",
      "asset.id: contains U+2066 at index 12; identifiers must not contain control, bidi or zero-width characters",
      "labels.team: contains U+001B at index 6; label values must not contain control, bidi or zero-width characters",
      "dedupKey: must be printable ASCII without spaces (characters ! to ~)",
    ]);
  });

  it("refuses unknown fields (a typo is an error), a wrong schemaVersion and a source without custom:", () => {
    const refused = refusal(
      modified("jailbreak-roleplay-repeated-attempts.json", (body) => {
        body.occuredAt = body.occurredAt;
        body.schemaVersion = 1;
        body.source = "app-abuse-detector";
        (body.principal as Record<string, unknown>).role = "admin";
      }),
    );
    expect(refused.issues).toEqual([
      'schemaVersion: must be "1" (the only version of this format)',
      "source: must be custom:<emitter-name> in lower case (letters, digits, ':', '.', '_', '-'), at most 64",
      'principal: Unrecognized key: "role"',
      '(root): Unrecognized key: "occuredAt"',
    ]);
  });

  it("refuses `other`, which is Quell's bucket and not a type an emitter reports", () => {
    const refused = refusal(
      modified("jailbreak-roleplay-repeated-attempts.json", (body) => {
        body.type = "other";
      }),
    );
    expect(refused.issues).toEqual([expect.stringMatching(/^type: Invalid option/)]);
  });

  it("refuses a timestamp more than 15 minutes ahead, or with an offset instead of Z; accepts 29 days old", () => {
    const at = (occurredAt: string) =>
      modified("jailbreak-roleplay-repeated-attempts.json", (body) => {
        body.occurredAt = occurredAt;
      });
    expect(refusal(at("2026-11-25T00:16:00Z")).issues).toEqual([
      "occurredAt: is more than 15 minutes in the future (check the sender's clock)",
    ]);
    expect(refusal(at("2026-11-24T10:00:00+01:00")).issues).toEqual([
      "occurredAt: must be an RFC 3339 UTC timestamp such as 2026-11-24T03:12:00Z",
    ]);
    expect(refusal(at("2099-01-01T00:00:00Z")).status).toBe(422);
    expect(normalise(at("2026-10-27T00:00:00Z")).occurredAt).toBe("2026-10-27T00:00:00Z");
    expect(normalise(at("2026-11-25T00:14:00Z")).occurredAt).toBe("2026-11-25T00:14:00Z");
  });

  it("bounds sizes: title, labels, evidence, the whole alert and its depth", () => {
    const issuesFor = (change: (body: Record<string, unknown>) => void) =>
      refusal(modified("jailbreak-roleplay-repeated-attempts.json", change)).issues;
    expect(issuesFor((body) => (body.title = "t".repeat(301)))).toEqual([
      "title: Too big: expected string to have <=300 characters",
    ]);
    expect(
      issuesFor(
        (body) => (body.labels = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, "v"]))),
      ),
    ).toEqual(["labels: at most 32 labels"]);
    expect(issuesFor((body) => (body.evidence = { blob: "x".repeat(70 * 1024) }))).toEqual([
      expect.stringMatching(/^\(root\): the alert is \d+ bytes as compact JSON; the limit is 65536$/),
    ]);
    let deep: unknown = "bottom";
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(issuesFor((body) => (body.evidence = { deep }))).toEqual([
      `evidence.deep.${Array.from({ length: 30 }, () => "d").join(".")}: nests deeper than 32 levels`,
    ]);
  });
});

describe("text helpers", () => {
  it("clip never splits a surrogate pair and marks the cut", () => {
    expect(clip("abc", 3)).toBe("abc");
    expect(clip("abcd", 3)).toBe("ab…");
    expect(clip("a😀b", 3)).toBe("a…");
  });

  it("escapeText writes invisible and reordering characters out and leaves mrkdwn alone", () => {
    expect(escapeText("<!channel> \u202E\uFEFF")).toBe("<!channel> \\u202E\\uFEFF");
    expect(escapeText("a\r\nb\tc", { keepLineBreaks: true })).toBe("a\nb\tc");
  });
});
