import type { LocalEventBus } from "./bus.js";
import type { DatabaseSupervisor } from "./database-supervisor.js";
import { sendError, sendJson } from "./http.js";
import { pageBody, pageOf } from "./pagination.js";
import { checkReadToken } from "./request-guard.js";
import type { Route } from "./routes.js";

export interface DurabilityDeps {
  readonly database: Pick<DatabaseSupervisor, "isUp" | "health" | "probe">;
  readonly bus: Pick<LocalEventBus, "pendingCount" | "deadLetterCount" | "listDeadLetters" | "redrive">;
  readonly readToken: string;
}

/** A redrive names dead letters by id, or all of them. */
const REDRIVE_MAX_BODY_BYTES = 64 * 1024;
const DEAD_LETTER_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const RETRY_AFTER_SECONDS = "5";

/**
 * The routes that keep "accepted means durable" honest: /healthz says whether the database answers (503
 * `unhealthy` while it is down), every route that needs it (ingest, Slack, reads) answers 503 (retry) and records
 * nothing while it is down, and dead letters
 * are listed (`GET /dead-letters?limit&cursor`) and redriven (`POST /dead-letters/redrive`, the read token too:
 * it changes what the runtime does).
 */
export function withDurability(routes: readonly Route[], deps: DurabilityDeps): Route[] {
  const isHealthz = (route: Route) => route.method === "GET" && route.path.test("/healthz");
  const guarded = routes.map((route): Route => {
    if (isHealthz(route)) return { ...route, serve: ({ response }) => health(response, deps) };
    return {
      ...route,
      serve: async (context) => {
        if (deps.database.isUp()) return route.serve(context);
        return sendError(
          context.response,
          503,
          {
            code: "unavailable",
            // Every route but /healthz and the dead letters (files) needs the database: ingest, Slack, reads.
            message: "Quell's database is down and restarting: nothing was read, accepted or recorded; retry",
          },
          { headers: { "retry-after": RETRY_AFTER_SECONDS } },
        );
      },
    };
  });
  return [...guarded, ...deadLetterRoutes(deps)];
}

async function health(response: Parameters<Route["serve"]>[0]["response"], deps: DurabilityDeps) {
  const up = await deps.database.probe();
  const health = deps.database.health();
  const bus = { pending: deps.bus.pendingCount(), deadLetters: deps.bus.deadLetterCount() };
  if (up) return sendJson(response, 200, { status: "ok", database: "up", bus });
  return sendJson(
    response,
    503,
    {
      status: "unhealthy",
      database: "down",
      since: health.since,
      restarts: health.restarts,
      reason: health.lastError,
      bus,
    },
    { headers: { "retry-after": RETRY_AFTER_SECONDS } },
  );
}

function deadLetterRoutes(deps: DurabilityDeps): Route[] {
  return [
    {
      method: "GET",
      path: /^\/dead-letters$/,
      serve: async ({ response, query }) => {
        const page = pageOf(query);
        if (!page.ok) return sendError(response, 400, page.error);
        const { cursor, limit } = page.page;
        if (cursor !== undefined && !DEAD_LETTER_ID.test(cursor)) {
          return sendError(response, 400, {
            code: "bad_cursor",
            message: "cursor is not one this list gave",
          });
        }
        const listed = deps.bus.listDeadLetters({ limit, ...(cursor ? { cursor } : {}) });
        return sendJson(
          response,
          200,
          pageBody("deadLetters", {
            items: listed.deadLetters,
            ...(listed.cursor ? { nextCursor: listed.cursor } : {}),
          }),
        );
      },
    },
    {
      method: "POST",
      path: /^\/dead-letters\/redrive$/,
      body: { maxBytes: REDRIVE_MAX_BODY_BYTES, mediaTypes: ["application/json"] },
      serve: async ({ request, response, body }) => {
        const token = checkReadToken(request, deps.readToken);
        if (!token.ok) {
          return sendError(response, token.status, token, {
            headers: { "www-authenticate": 'Bearer realm="quell"' },
          });
        }
        const wanted = redriveRequest(body);
        if (!wanted.ok) return sendError(response, 400, { code: "bad_redrive", message: wanted.message });
        return sendJson(response, 202, deps.bus.redrive(wanted.ids));
      },
    },
  ];
}

function redriveRequest(body: Buffer): { ok: true; ids: string[] | "all" } | { ok: false; message: string } {
  const usage = 'send {"ids": ["<dead-letter id>", …]} (ids from GET /dead-letters) or {"all": true}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return { ok: false, message: `not JSON: ${usage}` };
  }
  const request = parsed as { ids?: unknown; all?: unknown } | null;
  if (request?.all === true && request.ids === undefined) return { ok: true, ids: "all" };
  const ids = request?.ids;
  if (
    request?.all === undefined &&
    Array.isArray(ids) &&
    ids.length > 0 &&
    ids.length <= 1000 &&
    ids.every((id) => typeof id === "string" && DEAD_LETTER_ID.test(id))
  ) {
    return { ok: true, ids: ids as string[] };
  }
  return { ok: false, message: usage };
}
