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
 * Methods: auth.test, chat.postMessage, chat.update, chat.postEphemeral, usergroups.users.list.
 */
import { EventEmitter } from "node:events";
import { isRecord, type Standin, type StandinResponse, startStandin, tokenFrom } from "./server.js";

export interface SlackStandinOptions {
  token: string;
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
      if (token !== options.token) return fail("invalid_auth");
      return method(args);
    },
  });

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
