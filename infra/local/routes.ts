import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { UNKNOWN_SOURCE } from "../../functions/ingest/core.js";
import { ValidationError } from "../../functions/shared/errors.js";
import type { IncidentStore } from "../../functions/shared/store.js";
import { sourceNames } from "../../functions/sources/index.js";
import type { TriageStore } from "../../functions/triage/triage-store.js";
import { sendError, sendJson, toFunctionUrlEvent, writeFunctionUrlResult } from "./http.js";
import { pageBody, pageOf } from "./pagination.js";

export type FunctionUrlHandler = (
  event: APIGatewayProxyEventV2,
  context: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Slack's interaction payloads carry the message or modal they came from: far below this, even at 50 blocks. */
export const SLACK_MAX_BODY_BYTES = 1024 * 1024;

export interface RouteContext {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly body: Buffer;
  /** The path's named groups. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

/**
 * One route of the local runtime contract. The server checks, before reading any body: the Host, the read token
 * for every GET but /healthz, the method, and for a route with a body its media type and declared length; it then
 * reads at most `body.maxBytes`.
 */
export interface Route {
  readonly method: "GET" | "POST";
  /** Matched against the whole path; named groups become `params`. */
  readonly path: RegExp;
  /** A route that takes a body: the largest it reads, and the media types it takes (any when absent). */
  readonly body?: { readonly maxBytes: number; readonly mediaTypes?: readonly string[] };
  /** Ingest routes: a request refused before ingest saw it is tallied as ingest tallies its own, as this source. */
  readonly rejectionSource?: (params: Readonly<Record<string, string>>) => string;
  serve(context: RouteContext): Promise<void>;
}

export interface RouteDeps {
  readonly handlers: { readonly ingest: FunctionUrlHandler; readonly slack: FunctionUrlHandler };
  readonly store: IncidentStore;
  readonly triageStore: TriageStore;
  /** Ingest's own body limit (QUELL_MAX_BODY_BYTES): the server reads no more than ingest would accept. */
  readonly ingestMaxBodyBytes: number;
  /** The parts of a Lambda context that handlers and Powertools read. */
  readonly lambdaContext: (timeoutSeconds: number) => unknown;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A page of a list, or a 400 naming the cursor when the list refuses it (one it did not give out). */
async function sendPage(
  response: ServerResponse,
  name: string,
  list: () => Promise<{ readonly items: readonly unknown[]; readonly nextCursor?: string }>,
  extra: Record<string, unknown> = {},
) {
  try {
    return sendJson(response, 200, { ...extra, ...pageBody(name, await list()) });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return sendError(response, 400, { code: "invalid_cursor", message: error.message });
  }
}

/** The HTTP routes of the local runtime contract (DESIGN.md), in the order they are matched. */
export function publicRoutes(deps: RouteDeps): readonly Route[] {
  const ingest = async ({ request, response, body }: RouteContext) =>
    writeFunctionUrlResult(
      response,
      await deps.handlers.ingest(toFunctionUrlEvent(request, body), deps.lambdaContext(10)),
    );
  const ingestBody = { maxBytes: deps.ingestMaxBodyBytes, mediaTypes: ["application/json"] };
  /** Kept for inspection, by day: refused requests, and alerts that matched nothing (a resolve with no case). */
  const byDay =
    (name: "rejections" | "unmatched") =>
    async ({ response, query }: RouteContext) => {
      const day = query.get("day") ?? new Date().toISOString().slice(0, 10);
      if (!DAY.test(day))
        return sendError(response, 400, { code: "bad_day", message: "day must be YYYY-MM-DD" });
      const page = pageOf(query);
      if (!page.ok) return sendError(response, 400, page.error);
      return sendPage(
        response,
        name,
        () =>
          name === "rejections"
            ? deps.store.listRejections(day, page.page)
            : deps.triageStore.listUnmatched(day, page.page),
        { day },
      );
    };

  return [
    {
      method: "GET",
      path: /^\/healthz$/,
      serve: async ({ response }) => sendJson(response, 200, { status: "ok" }),
    },
    {
      method: "POST",
      path: new RegExp(`^/alerts/(?<source>${sourceNames.map(escapeRegExp).join("|")})/?$`),
      body: ingestBody,
      rejectionSource: (params) => params.source ?? "",
      serve: ingest,
    },
    // A source Quell does not know: ingest answers it (404 naming the known ones), after at most its limit is read.
    {
      method: "POST",
      path: /^\/alerts\/[^/]{1,64}\/?$/,
      body: { maxBytes: deps.ingestMaxBodyBytes },
      rejectionSource: () => UNKNOWN_SOURCE,
      serve: ingest,
    },
    {
      method: "POST",
      path: /^\/events\/?$/,
      body: ingestBody,
      rejectionSource: () => "events",
      serve: ingest,
    },
    {
      method: "POST",
      path: /^\/slack\/events$/,
      body: {
        maxBytes: SLACK_MAX_BODY_BYTES,
        mediaTypes: ["application/x-www-form-urlencoded", "application/json"],
      },
      serve: async ({ request, response, body }) =>
        writeFunctionUrlResult(
          response,
          await deps.handlers.slack(toFunctionUrlEvent(request, body, "text"), deps.lambdaContext(10)),
        ),
    },
    {
      method: "GET",
      path: /^\/incidents$/,
      serve: async ({ response, query }) => {
        const page = pageOf(query);
        if (!page.ok) return sendError(response, 400, page.error);
        return sendPage(response, "incidents", () => deps.store.listIncidents(page.page));
      },
    },
    {
      method: "GET",
      path: /^\/incidents\/(?<id>[A-Za-z0-9_]{1,64})$/,
      serve: async ({ response, params }) => {
        const detail = await deps.store.getIncidentDetail(params.id ?? "");
        return detail
          ? sendJson(response, 200, detail)
          : sendError(response, 404, { code: "not_found", message: `no incident ${params.id}` });
      },
    },
    {
      method: "GET",
      path: /^\/incidents\/(?<id>[A-Za-z0-9_]{1,64})\/audit$/,
      // The stored links and head, for `verify-audit` to recompute: whoever reads them checks them themselves.
      serve: async ({ response, params }) => {
        const id = params.id ?? "";
        const chain = await deps.store.auditChain(id);
        return chain.entries.length > 0 || chain.head
          ? sendJson(response, 200, { incidentId: id, ...chain })
          : sendError(response, 404, { code: "not_found", message: `no timeline for incident ${id}` });
      },
    },
    { method: "GET", path: /^\/rejections$/, serve: byDay("rejections") },
    { method: "GET", path: /^\/unmatched$/, serve: byDay("unmatched") },
  ];
}
