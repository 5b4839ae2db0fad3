/**
 * Local stand-in for the Slack Web API (not Slack). Point `@slack/web-api`'s WebClient at it with
 * `new WebClient(token, { slackApiUrl: `${standin.url}/api/` })`.
 *
 * Like Slack (https://docs.slack.dev/apis/web-api/), methods are `POST /api/<method>`, arguments come as
 * application/x-www-form-urlencoded (what WebClient sends: objects such as `blocks` and `attachments` arrive
 * JSON-encoded, and are parsed back here, in the recorded body too) or as JSON, and errors are HTTP 200 with
 * `{ok: false, error}`: `not_authed` without a token, `invalid_auth` with a wrong one. An unknown method is
 * HTTP 404 `{ok: false, error: "unknown_method"}`. Channels are taken as given (no name-to-id resolution).
 *
 * Methods: auth.test, chat.postMessage, chat.update, chat.postEphemeral, views.open, usergroups.users.list,
 * and, with an app-level token (`appToken`), apps.connections.open for Socket Mode
 * (https://docs.slack.dev/apis/events-api/using-socket-mode): it answers a single-use
 * `ws://127.0.0.1:<port>/link/?ticket=…` on this same server, which says `hello` on connect; tests then send
 * envelopes (`socketMode.send`) and get the client's acknowledgement back. The app-level token is accepted only
 * by apps.connections.open and the bot token everywhere but there (`not_allowed_token_type`), as on Slack.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { isRecord, type Standin, type StandinResponse, startStandin, tokenFrom } from "./server.js";
import { acceptWebSocket, type WebSocketPeer } from "./websocket.js";

export interface SlackStandinOptions {
  token: string;
  /** An app-level token (xapp-…): enables apps.connections.open and the Socket Mode WebSocket. */
  appToken?: string;
  teamId?: string;
  /** usergroup id -> member user ids, for usergroups.users.list. */
  usergroups?: Record<string, string[]>;
  port?: number;
}

export interface SlackContent {
  text: string | undefined;
  blocks: unknown[] | undefined;
  attachments: unknown[] | undefined;
}

export interface SlackMessageUpdate extends SlackContent {
  at: Date;
}

/** A message posted with chat.postMessage; text/blocks/attachments are its current content. */
export interface SlackMessage extends SlackContent {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  metadata: unknown;
  postedAt: Date;
  /** Content as first posted. */
  original: SlackContent;
  /** Each chat.update applied, in order, with the content it left. */
  updates: SlackMessageUpdate[];
}

export interface SlackEphemeral extends SlackContent {
  channel: string;
  user: string;
  messageTs: string;
  threadTs: string | undefined;
  postedAt: Date;
}

export interface SlackStandinEvents {
  message: [SlackMessage];
  update: [SlackMessage];
  ephemeral: [SlackEphemeral];
}

/** Socket Mode envelope types Slack sends (https://docs.slack.dev/apis/events-api/using-socket-mode). */
export type SlackEnvelopeType = "interactive" | "slash_commands" | "events_api";

/** An envelope sent over the socket and the client's acknowledgement, once it came. */
export interface SlackEnvelope {
  envelopeId: string;
  type: SlackEnvelopeType;
  payload: unknown;
  sentAt: Date;
  ack?: SlackEnvelopeAck;
}

/** What the client sent back: `{envelope_id, payload?}`; payload is what ack(…) was given (a command's reply). */
export interface SlackEnvelopeAck {
  envelopeId: string;
  payload: Record<string, unknown> | undefined;
  /** The message exactly as received. */
  raw: Record<string, unknown>;
  at: Date;
}

export interface SlackSocketMode {
  /** Socket connections currently open. */
  readonly connections: number;
  /** Close codes of the connections that ended, in order (1000: the client closed normally). */
  closes: (number | undefined)[];
  /** Every envelope sent, in order, with its acknowledgement. */
  envelopes: SlackEnvelope[];
  /**
   * Sends an envelope on the most recent open connection and resolves with the client's acknowledgement;
   * rejects when nothing is connected or no ack comes within `timeoutMs` (Slack would retry).
   */
  send(
    type: SlackEnvelopeType,
    payload: unknown,
    options?: { acceptsResponsePayload?: boolean; timeoutMs?: number },
  ): Promise<SlackEnvelopeAck>;
}

export interface SlackStandin extends Standin {
  teamId: string;
  userId: string;
  botId: string;
  messages: SlackMessage[];
  ephemerals: SlackEphemeral[];
  /** Emits "message" (chat.postMessage), "update" (chat.update) and "ephemeral" (chat.postEphemeral). */
  events: EventEmitter<SlackStandinEvents>;
  /** Resolves with the next message posted after this call that matches; rejects after `timeoutMs`. */
  nextMessage(predicate?: (message: SlackMessage) => boolean, timeoutMs?: number): Promise<SlackMessage>;
  /** Like nextMessage, but first looks among the messages already posted. */
  waitForMessage(predicate?: (message: SlackMessage) => boolean, timeoutMs?: number): Promise<SlackMessage>;
  /** Resolves with the next chat.update after this call that matches; rejects after `timeoutMs`. */
  nextUpdate(predicate?: (message: SlackMessage) => boolean, timeoutMs?: number): Promise<SlackMessage>;
  find(channel: string, ts: string): SlackMessage | undefined;
  /** Modals opened with views.open, in order. */
  views: SlackView[];
  /** The Socket Mode side (usable when started with `appToken`). */
  socketMode: SlackSocketMode;
}

/** A modal opened with views.open. */
export interface SlackView {
  id: string;
  triggerId: string;
  view: Record<string, unknown>;
  openedAt: Date;
}

/** Fields Slack takes as JSON-encoded strings in form posts. */
const JSON_FIELDS = ["blocks", "attachments", "metadata", "view"] as const;
const DEFAULT_TIMEOUT_MS = 5_000;

/** Parses the JSON-encoded fields of a form-encoded call; a field that does not parse stays a string. */
function refineSlackBody(body: unknown): unknown {
  if (!isRecord(body)) return body;
  const refined: Record<string, unknown> = { ...body };
  for (const field of JSON_FIELDS) {
    const value = refined[field];
    if (typeof value !== "string") continue;
    try {
      refined[field] = JSON.parse(value) as unknown;
    } catch {
      // Left as the string; the method answers invalid_blocks_format / invalid_attachments.
    }
  }
  return refined;
}

function ok(body: Record<string, unknown>): StandinResponse {
  return { status: 200, body: { ok: true, ...body } };
}

function fail(errorCode: string, extra: Record<string, unknown> = {}): StandinResponse {
  return { status: 200, body: { ok: false, error: errorCode, ...extra } };
}

function missing(field: string): StandinResponse {
  return fail("invalid_arguments", {
    response_metadata: { messages: [`[ERROR] missing required field: ${field}`] },
  });
}

const str = (value: unknown): string | undefined =>
  typeof value === "string" && value.length > 0
    ? value
    : typeof value === "number"
      ? String(value)
      : undefined;

type Content = SlackContent | StandinResponse;

/** Reads text/blocks/attachments, answering Slack's error when blocks or attachments are not arrays. */
function readContent(args: Record<string, unknown>): Content {
  const { blocks, attachments } = args;
  if (blocks !== undefined && !Array.isArray(blocks)) return fail("invalid_blocks_format");
  if (attachments !== undefined && !Array.isArray(attachments)) return fail("invalid_attachments");
  return { text: str(args.text), blocks, attachments };
}

const isResponse = (value: Content): value is StandinResponse => "status" in value;
const hasContent = (content: SlackContent) =>
  content.text !== undefined || (content.blocks?.length ?? 0) > 0 || (content.attachments?.length ?? 0) > 0;

export async function startSlackStandin(options: SlackStandinOptions): Promise<SlackStandin> {
  const teamId = options.teamId ?? "T0STANDIN";
  const userId = "U0STANDIN";
  const botId = "B0STANDIN";
  const appId = "A0STANDIN";
  const usergroups = options.usergroups ?? {};
  const messages: SlackMessage[] = [];
  const ephemerals: SlackEphemeral[] = [];
  const views: SlackView[] = [];
  const events = new EventEmitter<SlackStandinEvents>();
  const tickets = new Set<string>();
  const peers: WebSocketPeer[] = [];
  const closes: (number | undefined)[] = [];
  const envelopes: SlackEnvelope[] = [];
  const pendingAcks = new Map<string, (ack: SlackEnvelopeAck) => void>();

  // Slack-like timestamps ("1732500000.000100"): seconds.microseconds, unique and increasing.
  let lastMicros = Math.floor(Date.now() / 1000) * 1_000_000;
  const nextTs = (): string => {
    const now = Date.now() * 1000;
    lastMicros = Math.max(lastMicros + 100, now - (now % 100));
    return `${Math.floor(lastMicros / 1_000_000)}.${String(lastMicros % 1_000_000).padStart(6, "0")}`;
  };

  const find = (channel: string, ts: string) => messages.find((m) => m.channel === channel && m.ts === ts);

  const messageObject = (message: SlackMessage) => ({
    type: "message",
    user: userId,
    bot_id: botId,
    app_id: appId,
    team: teamId,
    ts: message.ts,
    text: message.text ?? "",
    ...(message.blocks ? { blocks: message.blocks } : {}),
    ...(message.attachments ? { attachments: message.attachments } : {}),
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
  });

  const methods: Record<string, (args: Record<string, unknown>) => StandinResponse> = {
    "auth.test": () =>
      ok({
        url: `${standin.url}/`,
        team: "Quell stand-in workspace",
        user: "quell",
        team_id: teamId,
        user_id: userId,
        bot_id: botId,
        is_enterprise_install: false,
      }),

    "chat.postMessage": (args) => {
      const channel = str(args.channel);
      if (!channel) return fail("channel_not_found");
      const content = readContent(args);
      if (isResponse(content)) return content;
      if (!hasContent(content)) return fail("no_text");
      const message: SlackMessage = {
        channel,
        ts: nextTs(),
        threadTs: str(args.thread_ts),
        metadata: args.metadata,
        postedAt: new Date(),
        ...content,
        original: { ...content },
        updates: [],
      };
      messages.push(message);
      events.emit("message", message);
      return ok({ channel, ts: message.ts, message: messageObject(message) });
    },

    "chat.update": (args) => {
      const channel = str(args.channel);
      if (!channel) return fail("channel_not_found");
      const ts = str(args.ts);
      if (!ts) return missing("ts");
      const message = find(channel, ts);
      if (!message) return fail("message_not_found");
      const content = readContent(args);
      if (isResponse(content)) return content;
      if (!hasContent(content)) return fail("no_text");
      // Slack keeps the previous blocks/attachments when an update omits them (an empty array removes them).
      message.text = content.text ?? message.text;
      message.blocks = content.blocks ?? message.blocks;
      message.attachments = content.attachments ?? message.attachments;
      message.updates.push({
        at: new Date(),
        text: message.text,
        blocks: message.blocks,
        attachments: message.attachments,
      });
      events.emit("update", message);
      return ok({ channel, ts, text: message.text ?? "", message: messageObject(message) });
    },

    "chat.postEphemeral": (args) => {
      const channel = str(args.channel);
      if (!channel) return fail("channel_not_found");
      const user = str(args.user);
      if (!user) return missing("user");
      const content = readContent(args);
      if (isResponse(content)) return content;
      if (!hasContent(content)) return fail("no_text");
      const ephemeral: SlackEphemeral = {
        channel,
        user,
        messageTs: nextTs(),
        threadTs: str(args.thread_ts),
        postedAt: new Date(),
        ...content,
      };
      ephemerals.push(ephemeral);
      events.emit("ephemeral", ephemeral);
      return ok({ message_ts: ephemeral.messageTs });
    },

    "views.open": (args) => {
      const triggerId = str(args.trigger_id);
      if (!triggerId) return missing("trigger_id");
      if (!isRecord(args.view)) return missing("view");
      const opened: SlackView = {
        id: `V${String(views.length + 1).padStart(8, "0")}`,
        triggerId,
        view: args.view,
        openedAt: new Date(),
      };
      views.push(opened);
      return ok({ view: { id: opened.id, ...opened.view } });
    },

    "apps.connections.open": () => {
      const ticket = randomUUID();
      tickets.add(ticket);
      const base = standin.url.replace(/^http:/, "ws:");
      return ok({ url: `${base}/link/?ticket=${ticket}&app_id=${appId}` });
    },

    "usergroups.users.list": (args) => {
      const usergroup = str(args.usergroup);
      if (!usergroup) return missing("usergroup");
      const users = usergroups[usergroup];
      return users ? ok({ users: [...users] }) : fail("no_such_subteam");
    },
  };

  const standin = await startStandin({
    name: "Slack Web API",
    port: options.port,
    // Slack rate limits with HTTP 429 and Retry-After (https://docs.slack.dev/apis/web-api/rate-limits); its own
    // failures come as 5xx. Its `ok: false` errors at HTTP 200 (`internal_error`, …) are a fault with a `body`.
    faultResponse: (status) =>
      status === 429
        ? { status, body: { ok: false, error: "ratelimited" }, headers: { "retry-after": "1" } }
        : { status, body: { ok: false, error: status === 503 ? "service_unavailable" : "internal_error" } },
    refineBody: refineSlackBody,
    handle(request) {
      const match = /^\/api\/([A-Za-z0-9_.]+)$/.exec(request.path);
      if (!match?.[1]) return { status: 404, body: { ok: false, error: "not_found" } };
      const method = methods[match[1]];
      if (!method) return { status: 404, body: { ok: false, error: "unknown_method", req_method: match[1] } };
      if (request.bodyParseError) return fail("invalid_json");
      // Arguments: query string, then the body (form or JSON) on top, as Slack merges them.
      const args: Record<string, unknown> = {
        ...request.query,
        ...(isRecord(request.body) ? request.body : {}),
      };
      const token = tokenFrom(request.authorization) ?? str(args.token);
      if (token === undefined) return fail("not_authed");
      const appLevel = match[1] === "apps.connections.open";
      const own = appLevel ? options.appToken : options.token;
      const other = appLevel ? options.token : options.appToken;
      if (own === undefined || token !== own)
        return fail(token === other ? "not_allowed_token_type" : "invalid_auth");
      return method(args);
    },
    upgrade(request, socket, head) {
      const url = new URL(request.url ?? "/", standin.url);
      const ticket = url.searchParams.get("ticket") ?? "";
      // Like Slack's socket URL, a ticket is good for one connection.
      if (!/^\/link\/?$/.test(url.pathname) || !tickets.delete(ticket)) {
        socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      const peer = acceptWebSocket(request, socket, head);
      if (!peer) return;
      peers.push(peer);
      peer.on("message", receiveAck);
      peer.on("close", (code) => {
        peers.splice(peers.indexOf(peer), 1);
        closes.push(code);
      });
      peer.send(
        JSON.stringify({
          type: "hello",
          num_connections: peers.length,
          debug_info: { host: "quell-slack-standin", approximate_connection_time: 18060 },
          connection_info: { app_id: appId },
        }),
      );
    },
  });

  function receiveAck(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!isRecord(message) || typeof message.envelope_id !== "string") return;
    const ack: SlackEnvelopeAck = {
      envelopeId: message.envelope_id,
      payload: isRecord(message.payload) ? message.payload : undefined,
      raw: message,
      at: new Date(),
    };
    const envelope = envelopes.find((sent) => sent.envelopeId === ack.envelopeId);
    if (envelope && !envelope.ack) envelope.ack = ack;
    pendingAcks.get(ack.envelopeId)?.(ack);
    pendingAcks.delete(ack.envelopeId);
  }

  const socketMode: SlackSocketMode = {
    get connections() {
      return peers.length;
    },
    closes,
    envelopes,
    send(type, payload, sendOptions = {}) {
      const peer = peers.findLast((candidate) => candidate.open);
      if (!peer) return Promise.reject(new Error("Slack stand-in: no Socket Mode connection is open"));
      const envelope: SlackEnvelope = { envelopeId: randomUUID(), type, payload, sentAt: new Date() };
      envelopes.push(envelope);
      const timeoutMs = sendOptions.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const acked = new Promise<SlackEnvelopeAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          pendingAcks.delete(envelope.envelopeId);
          reject(
            new Error(`Slack stand-in: envelope ${envelope.envelopeId} not acked within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        pendingAcks.set(envelope.envelopeId, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
      });
      peer.send(
        JSON.stringify({
          envelope_id: envelope.envelopeId,
          type,
          payload,
          accepts_response_payload: sendOptions.acceptsResponsePayload ?? type === "slash_commands",
          ...(type === "events_api" ? { retry_attempt: 0, retry_reason: "" } : {}),
        }),
      );
      return acked;
    },
  };

  function waitFor(
    event: "message" | "update",
    predicate: (message: SlackMessage) => boolean,
    timeoutMs: number,
  ): Promise<SlackMessage> {
    return new Promise((resolve, reject) => {
      const listener = (message: SlackMessage) => {
        if (!predicate(message)) return;
        clearTimeout(timer);
        events.off(event, listener);
        resolve(message);
      };
      const timer = setTimeout(() => {
        events.off(event, listener);
        reject(new Error(`Slack stand-in: no matching ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      events.on(event, listener);
    });
  }

  return {
    ...standin,
    async close() {
      // Slack closes with 1001 ("going away") when it recycles a connection; then the server goes.
      await Promise.all(peers.map((peer) => peer.close(1001)));
      await standin.close();
    },
    socketMode,
    teamId,
    userId,
    botId,
    messages,
    ephemerals,
    views,
    events,
    find,
    nextMessage: (predicate = () => true, timeoutMs = DEFAULT_TIMEOUT_MS) =>
      waitFor("message", predicate, timeoutMs),
    nextUpdate: (predicate = () => true, timeoutMs = DEFAULT_TIMEOUT_MS) =>
      waitFor("update", predicate, timeoutMs),
    waitForMessage(predicate = () => true, timeoutMs = DEFAULT_TIMEOUT_MS) {
      const existing = messages.find(predicate);
      return existing ? Promise.resolve(existing) : waitFor("message", predicate, timeoutMs);
    },
  };
}
