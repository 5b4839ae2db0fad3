import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubWebhookHeaders, quellSignatureHeaders } from "../../infra/local/signing.js";
import { webhookBody } from "../../infra/local/standins/scenario.js";
import { type Harness, INGEST_ONLY_ROUTE, SECRETS, startHarness } from "./harness.js";

/**
 * Issue 11, through POST /alerts on the local runtime: a replayed signed request counts nothing (item 16); only
 * allowed GitHub organisations may post (item 15); an alert with numbers DynamoDB cannot hold is kept (item 4); a
 * GitHub `created` arriving after its alert was resolved opens nothing (item 14); a flood of junk leaves the real
 * refusals visible (item 9).
 */

interface IncidentSummary {
  id: string;
  dedupKey: string;
}
interface IncidentDetail {
  id: string;
  status: string;
  alertCount: number;
  alerts: { id: string; details: Record<string, unknown> }[];
  timeline: { kind: string; summary: string }[];
}
interface RejectionEntry {
  kind: "authenticated" | "unauthenticated";
  status: number;
  code: string;
  message?: string;
  count?: number;
  sample?: { message: string };
}

let unique = 0;
/** A generic alert of its own dedup key; `evidence` is spliced in as raw JSON text. */
function genericBody(evidence = '{"attempts": 3}'): string {
  unique++;
  const occurredAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return `{"schemaVersion":"1","id":"e2e-replay-${unique}","source":"custom:e2e","type":"jailbreak","severity":"high",
"occurredAt":"${occurredAt}","principal":{"type":"end_user","id":"usr_e2e_${unique}","provider":"example"},
"asset":{"kind":"application","id":"hr-assistant","provider":"example","environment":"prod"},
"evidence":${evidence},"dedupKey":"e2e-replay-${unique}"}`;
}

/** A GitHub delivery of alert `number`: `action` at `updatedAt`, from `owner` (an organisation) when given. */
function githubBody(number: number, options: { action?: string; updatedAt?: string; owner?: string } = {}) {
  const body = JSON.parse(webhookBody(number));
  if (options.action) body.action = options.action;
  if (options.updatedAt) body.alert.updated_at = options.updatedAt;
  if (options.owner) {
    body.repository.full_name = `${options.owner}/${body.repository.full_name.split("/")[1]}`;
    body.organization.login = options.owner;
  }
  return JSON.stringify(body);
}

describe("POST /alerts: replays, senders, numbers, late deliveries and floods", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ dryRun: true, triageConfig: { routes: [INGEST_ONLY_ROUTE] } });
  });
  afterAll(async () => harness?.stop());

  const get = async <T>(path: string): Promise<T> => (await (await harness.read(path)).json()) as T;
  const postGeneric = async (body: string, headers = quellSignatureHeaders(body, SECRETS.generic)) => {
    const response = await fetch(`${harness.runtime.url}/alerts/generic`, { method: "POST", headers, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const incidentFor = async (dedupKey: string): Promise<IncidentDetail | undefined> => {
    await harness.runtime.idle();
    const { incidents } = await get<{ incidents: IncidentSummary[] }>("/incidents?limit=200");
    const found = incidents.find((incident) => incident.dedupKey === dedupKey);
    return found ? get<IncidentDetail>(`/incidents/${found.id}`) : undefined;
  };
  const rejectionsToday = async () => {
    const day = new Date().toISOString().slice(0, 10);
    return (await get<{ rejections: RejectionEntry[] }>(`/rejections?day=${day}&limit=50`)).rejections;
  };

  it("answers a generic request replayed byte for byte with 200 and the first alert id, counting nothing", async () => {
    const body = genericBody();
    const headers = quellSignatureHeaders(body, SECRETS.generic);
    const first = await postGeneric(body, headers);
    expect(first).toEqual({
      status: 202,
      body: { alertId: expect.stringMatching(/^alr_/), status: "accepted" },
    });
    const replay = await postGeneric(body, headers);
    expect(replay).toEqual({ status: 200, body: { alertId: first.body.alertId, status: "duplicate" } });
    // The same alert signed anew (another timestamp) is a new delivery: the sender meant to send it again.
    const resent = quellSignatureHeaders(body, SECRETS.generic, new Date(Date.now() + 1000));
    expect((await postGeneric(body, resent)).status).toBe(202);
    const incident = await incidentFor(`generic:e2e-replay-${unique}`);
    expect(incident?.alertCount).toBe(2);
  });

  it("publishes exactly one of two identical requests sent at the same time", async () => {
    const body = genericBody();
    const headers = quellSignatureHeaders(body, SECRETS.generic);
    const both = await Promise.all([postGeneric(body, headers), postGeneric(body, headers)]);
    expect(both.filter((response) => response.status === 202)).toHaveLength(1);
    for (const other of both.filter((response) => response.status !== 202))
      expect([200, 503]).toContain(other.status);
    const incident = await incidentFor(`generic:e2e-replay-${unique}`);
    expect(incident).toMatchObject({ alertCount: 1 });
    expect(incident?.alerts).toHaveLength(1);
  });

  it("answers a GitHub delivery sent again (the same body and signature) as a duplicate", async () => {
    const body = githubBody(7001);
    const headers = githubWebhookHeaders(body, SECRETS.github, { delivery: "e2e-delivery-7001" });
    const post = () => fetch(`${harness.runtime.url}/alerts/github`, { method: "POST", headers, body });
    const first = await post();
    expect(first.status).toBe(202);
    const { alertId } = (await first.json()) as { alertId: string };
    const again = await post();
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ alertId, status: "duplicate" });
  });

  it("refuses a GitHub organisation that is not allowed with 403, naming it, and keeps the refusal", async () => {
    const response = await harness.postGitHub(githubBody(7002, { owner: "evil-corp" }));
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      error: {
        code: "not_allowed",
        message:
          "GitHub organisation evil-corp (repository evil-corp/support-chat-service) is not on the GitHub allow-list (github.allow in the triage configuration)",
      },
    });
    expect(await rejectionsToday()).toContainEqual(
      expect.objectContaining({ kind: "authenticated", status: 403, code: "not_allowed", source: "github" }),
    );
    expect(await incidentFor(dedupKeyOf(7002))).toBeUndefined();
  });

  it("keeps an alert whose evidence holds numbers DynamoDB cannot, as the edge parsed them", async () => {
    const body = genericBody('{"big": 9007199254740993, "huge": 1e125, "tiny": 1e-131}');
    expect((await postGeneric(body)).status).toBe(202);
    const incident = await incidentFor(`generic:e2e-replay-${unique}`);
    expect(incident?.alerts[0]?.details).toMatchObject({
      "evidence.big": 9007199254740992,
      "evidence.huge": 1e125,
      "evidence.tiny": 1e-131,
    });
  });

  it("opens nothing for a GitHub `created` that arrives after its alert was resolved", async () => {
    const dedupKey = dedupKeyOf(7003);
    const created = githubBody(7003, { updatedAt: "2026-11-20T09:14:27Z" });
    expect((await harness.postGitHub(created)).status).toBe(202);
    const resolved = githubBody(7003, { action: "resolved", updatedAt: "2026-11-20T10:02:48Z" });
    expect((await harness.postGitHub(resolved)).status).toBe(202);
    const before = await incidentFor(dedupKey);
    expect(before?.status).toBe("resolved");
    // GitHub sends the `created` again (a new delivery id, a new signature: it is not a replay of the bytes), after
    // the resolve: by GitHub's clock it is older, so it reopens nothing.
    const again = JSON.stringify({ ...JSON.parse(created), redelivery: true });
    expect((await harness.postGitHub(again)).status).toBe(202);
    await harness.runtime.idle();
    const { incidents } = await get<{ incidents: IncidentSummary[] }>("/incidents?limit=200");
    expect(
      incidents.filter((incident) => incident.dedupKey === dedupKey).map((incident) => incident.id),
    ).toEqual([before?.id]);
    const after = await get<IncidentDetail>(`/incidents/${before?.id}`);
    expect(after).toMatchObject({ status: "resolved", alertCount: 3 });
    expect(after.timeline.map((event) => event.kind)).toContain("out_of_order");
  });

  it("keeps real refusals visible on the first page after a flood of junk", async () => {
    const junk = Array.from({ length: 300 }, (_, i) => `{"junk":${i}}`);
    for (const body of junk) {
      const response = await postGeneric(body, { ...quellSignatureHeaders(body, "not-the-secret") });
      expect(response.status).toBe(401);
    }
    const real = genericBody('"not an object"');
    expect((await postGeneric(real)).status).toBe(422);
    let rejections: RejectionEntry[] = [];
    for (let attempt = 0; attempt < 40; attempt++) {
      rejections = await rejectionsToday();
      const tally = rejections.find(
        (entry) => entry.kind === "unauthenticated" && entry.code === "bad_signature",
      );
      if (tally?.count === 300) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rejections).toContainEqual(
      expect.objectContaining({
        kind: "unauthenticated",
        source: "generic",
        status: 401,
        code: "bad_signature",
        count: 300,
      }),
    );
    expect(rejections).toContainEqual(
      expect.objectContaining({
        kind: "authenticated",
        source: "generic",
        status: 422,
        code: "invalid_payload",
      }),
    );
  });

  /** The dedup key of GitHub alert `number` of the sample repository. */
  function dedupKeyOf(number: number): string {
    return `github:${JSON.parse(webhookBody(number)).repository.id}:secret_scanning:${number}`;
  }
});
