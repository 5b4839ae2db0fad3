import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { TransientError, toQuellError } from "../../functions/shared/errors.js";
import type { Rejection } from "../../functions/shared/store.js";
import {
  declaredLength,
  discardBody,
  expectsContinue,
  readBody,
  sendError,
  type UnreadBody,
} from "./http.js";
import { checkHost, checkReadToken } from "./request-guard.js";
import type { Route } from "./routes.js";

export interface PublicServer {
  readonly server: Server;
  /**
   * Start serving the routes (until then every request but a refused one is answered 503). A refusal of an
   * ingest route made here, before anything authenticated the request, joins ingest's tally (`countRefusal`).
   */
  serve(routes: readonly Route[], countRefusal: (refusal: Rejection) => Promise<void>): void;
}

type Refusal = { readonly status: number; readonly code: string; readonly message: string };

/**
 * The runtime's port. Every request is checked in this order before any body is read: a loopback Host (421), the
 * read token for every GET but /healthz (401), a route (404), its method (405), its media type (415), its
 * declared length (413); then at most the route's limit is read (413 past it). A refused body is never buffered;
 * a small one is discarded so the connection serves the next request, a large one closes the connection.
 */
export function createPublicServer(options: {
  readToken: string;
  hostNames: readonly string[];
}): PublicServer {
  let routing: { routes: readonly Route[]; countRefusal: (refusal: Rejection) => Promise<void> } | undefined;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? "GET";
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const refuse = async (refusal: Refusal, headers: Record<string, string> = {}): Promise<UnreadBody> => {
      const unread = await discardBody(request);
      sendError(response, refusal.status, refusal, { close: !unread.complete, headers });
      return unread;
    };

    const host = checkHost(request, options.hostNames);
    if (!host.ok) return void (await refuse(host));
    if ((method === "GET" || method === "HEAD") && url.pathname !== "/healthz") {
      const token = checkReadToken(request, options.readToken);
      if (!token.ok) return void (await refuse(token, { "www-authenticate": 'Bearer realm="quell"' }));
    }
    if (!routing) {
      return void (await refuse({
        status: 503,
        code: "starting",
        message: "Quell is starting; retry shortly",
      }));
    }
    const { routes, countRefusal } = routing;
    const matches = routes.flatMap((route) => {
      const match = route.path.exec(url.pathname);
      return match ? [{ route, params: { ...match.groups } }] : [];
    });
    if (matches.length === 0) {
      return void (await refuse({
        status: 404,
        code: "not_found",
        message: `${method} ${url.pathname.slice(0, 200)} is not a route; see GET /healthz, POST /alerts/{source}, POST /events, POST /slack/events, GET /incidents`,
      }));
    }
    const matched = matches.find(({ route }) => route.method === method);
    const first = matches[0] as (typeof matches)[number];
    const source = (matched ?? first).route.rejectionSource?.((matched ?? first).params)?.slice(0, 64);
    // A refusal of an ingest route is kept as ingest keeps an unauthenticated one: tallied, never the body.
    const keep = async (refusal: Refusal, unread: UnreadBody) => {
      if (source === undefined) return;
      await countRefusal({ source, ...refusal, bodySha256: unread.sha256 ?? "", bodyBytes: unread.bytes });
    };
    const refuseAndKeep = async (refusal: Refusal, headers?: Record<string, string>) =>
      keep(refusal, await refuse(refusal, headers));
    if (!matched) {
      const allowed = [...new Set(matches.map(({ route }) => route.method))].join(", ");
      return refuseAndKeep(
        { status: 405, code: "method_not_allowed", message: `use ${allowed}` },
        { allow: allowed },
      );
    }
    const { route, params } = matched;
    const limit = route.body?.maxBytes ?? 0;
    if (route.body) {
      const header = request.headers["content-type"];
      const mediaType = header?.split(";")[0]?.trim().toLowerCase() ?? "";
      if (route.body.mediaTypes && !route.body.mediaTypes.includes(mediaType)) {
        const message = `content-type must be ${route.body.mediaTypes.join(" or ")}, not "${mediaType.slice(0, 100)}"`;
        return refuseAndKeep({ status: 415, code: "unsupported_media_type", message });
      }
      const declared = declaredLength(request);
      if (declared !== undefined && declared > limit) {
        const message = `body is ${declared} bytes; the limit is ${limit}`;
        return refuseAndKeep({ status: 413, code: "too_large", message });
      }
      if (expectsContinue(request)) response.writeContinue();
    }
    const read = await readBody(request, limit);
    if (!read.ok) {
      const message = route.body
        ? `body exceeds the limit of ${limit} bytes`
        : `${method} ${url.pathname} takes no body`;
      const refusal = { status: 413, code: "too_large", message };
      sendError(response, 413, refusal, { close: !read.unread.complete });
      return keep(refusal, read.unread);
    }
    await route.serve({ request, response, body: read.body, params, query: url.searchParams });
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: Error) => {
      const transient = toQuellError(error) instanceof TransientError;
      console.error(transient ? `${request.method} ${request.url}: ${error.name}: ${error.message}` : error);
      if (response.headersSent) return;
      // The database throttled or was unreachable for a moment: the caller's retry will do (as on AWS, a 503).
      if (transient) {
        sendError(
          response,
          503,
          { code: "unavailable", message: "the database is busy or restarting; retry shortly" },
          { close: !request.complete, headers: { "retry-after": "1" } },
        );
        return;
      }
      sendError(
        response,
        500,
        { code: "internal", message: "the local runtime failed; see its log" },
        { close: !request.complete },
      );
    });
  };
  const server = createServer(onRequest);
  // A client that waits for `100 Continue` is refused before it sends the body.
  server.on("checkContinue", onRequest);
  return {
    server,
    serve(routes, countRefusal) {
      routing = { routes, countRefusal };
    },
  };
}
