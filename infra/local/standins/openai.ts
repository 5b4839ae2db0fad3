/**
 * Local stand-in for OpenAI's Administration API (not OpenAI): projects and project API keys, as documented at
 * https://developers.openai.com/api/reference/resources/organization/subresources/projects (list projects)
 * https://developers.openai.com/api/reference/resources/organization/subresources/projects/subresources/api_keys
 *   GET    /v1/organization/projects                              ?limit (1-100, default 20)&after&include_archived
 *   GET    /v1/organization/projects/{project_id}
 *   GET    /v1/organization/projects/{project_id}/api_keys        ?limit (1-100, default 20)&after
 *   GET    /v1/organization/projects/{project_id}/api_keys/{key_id}
 *   DELETE /v1/organization/projects/{project_id}/api_keys/{key_id}
 * Lists are `{object: "list", data, first_id, last_id, has_more}` and really page: a client that ignores
 * `has_more` misses what is past the first page. Errors use OpenAI's `{error: {message, type, param, code}}`.
 */
import { matchPath, type Standin, type StandinResponse, startStandin, tokenFrom } from "./server.js";

export interface OpenAIKeySeed {
  id: string;
  name: string;
  /** The full secret; the API only ever shows it redacted. */
  secret: string;
  /** Date or Unix seconds; defaults to the stand-in's start time. */
  createdAt?: Date | number;
  lastUsedAt?: Date | number;
}

export interface OpenAIProjectSeed {
  id: string;
  name: string;
  status?: "active" | "archived";
  keys: OpenAIKeySeed[];
}

export interface OpenAIStandinOptions {
  adminKey: string;
  projects: OpenAIProjectSeed[];
  port?: number;
}

export interface OpenAIProject {
  id: string;
  object: "organization.project";
  name: string;
  created_at: number;
  archived_at: number | null;
  status: "active" | "archived";
}

export interface OpenAIProjectUser {
  object: "organization.project.user";
  id: string;
  name: string;
  email: string;
  role: "owner" | "member";
  added_at: number;
}

export interface OpenAIProjectApiKey {
  object: "organization.project.api_key";
  redacted_value: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
  id: string;
  owner: { type: "user"; user: OpenAIProjectUser };
}

export interface OpenAIDeletion {
  projectId: string;
  keyId: string;
  at: Date;
}

export interface OpenAIStandin extends Standin {
  /** Ids of the keys a project still has (not deleted), in listing order. */
  liveKeyIds(projectId: string): string[];
  /** Deletions performed through the API, in order. */
  deletions: OpenAIDeletion[];
}

/**
 * How the stand-in redacts a secret for `redacted_value`. OpenAI's reference shows the form only by example
 * (`"redacted_value": "sk-abc...def"` in the project API key object): a leading part of the key, "...", and
 * its last characters; it does not say how many. We keep the first 6 characters (as many as `sk-abc`) and the
 * last 4, e.g. `sk-proj-AbCd...wxyz` -> `sk-pro...wxyz`. Secrets too short to hide anything become "...".
 */
export function redactOpenAIKey(secret: string): string {
  if (secret.length < 14) return "...";
  return `${secret.slice(0, 6)}...${secret.slice(-4)}`;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

const OWNER: OpenAIProjectUser = {
  object: "organization.project.user",
  id: "user_standin",
  name: "Quell stand-in owner",
  email: "owner@standin.invalid",
  role: "owner",
  added_at: 0,
};

function unixSeconds(value: Date | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  return typeof value === "number" ? Math.floor(value) : Math.floor(value.getTime() / 1000);
}

function openaiError(
  status: number,
  message: string,
  code: string | null,
  param: string | null = null,
): StandinResponse {
  return { status, body: { error: { message, type: "invalid_request_error", param, code } } };
}

/** OpenAI's answers to rate limiting and to its own failures (`type` as its API reports them). */
function openaiFault(status: number): StandinResponse {
  if (status === 429) {
    return {
      status,
      body: {
        error: {
          message: "Rate limit reached for requests. Please try again later.",
          type: "requests",
          param: null,
          code: "rate_limit_exceeded",
        },
      },
      headers: { "retry-after": "1" },
    };
  }
  const message =
    status === 503
      ? "The engine is currently overloaded, please try again later."
      : "The server had an error while processing your request. Sorry about that!";
  return { status, body: { error: { message, type: "server_error", param: null, code: null } } };
}

/** The masked form OpenAI uses when it echoes a wrong key in an error message; never the whole key. */
function maskForMessage(token: string): string {
  if (token.length < 12) return "*".repeat(token.length);
  return `${token.slice(0, 3)}${"*".repeat(Math.min(token.length - 7, 30))}${token.slice(-4)}`;
}

interface StoredKey {
  seed: OpenAIKeySeed;
  deleted: boolean;
}

interface StoredProject {
  seed: OpenAIProjectSeed;
  keys: StoredKey[];
}

/** One page of `items`, after the item with id `after` (when given), at most `limit` long. */
function page<T extends { id: string }>(
  all: T[],
  visible: (item: T) => boolean,
  limit: number,
  after?: string,
) {
  let start = 0;
  if (after !== undefined) {
    const index = all.findIndex((item) => item.id === after);
    // An unknown cursor gives an empty page rather than silently restarting from the top.
    start = index === -1 ? all.length : index + 1;
  }
  const remaining = all.slice(start).filter(visible);
  const data = remaining.slice(0, limit);
  return { data, hasMore: remaining.length > limit };
}

function list<T extends { id: string }>(data: T[], hasMore: boolean) {
  return {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: hasMore,
  };
}

export async function startOpenAIStandin(options: OpenAIStandinOptions): Promise<OpenAIStandin> {
  const startedAt = Math.floor(Date.now() / 1000);
  const projects: StoredProject[] = options.projects.map((seed) => ({
    seed,
    keys: seed.keys.map((key) => ({ seed: key, deleted: false })),
  }));
  const deletions: OpenAIDeletion[] = [];

  const projectObject = ({ seed }: StoredProject): OpenAIProject => ({
    id: seed.id,
    object: "organization.project",
    name: seed.name,
    created_at: startedAt,
    archived_at: seed.status === "archived" ? startedAt : null,
    status: seed.status ?? "active",
  });

  const keyObject = ({ seed }: StoredKey): OpenAIProjectApiKey => ({
    object: "organization.project.api_key",
    redacted_value: redactOpenAIKey(seed.secret),
    name: seed.name,
    created_at: unixSeconds(seed.createdAt, startedAt),
    last_used_at: seed.lastUsedAt === undefined ? null : unixSeconds(seed.lastUsedAt, startedAt),
    id: seed.id,
    owner: { type: "user", user: { ...OWNER, added_at: startedAt } },
  });

  function parseLimit(raw: string | undefined): number | StandinResponse {
    if (raw === undefined) return DEFAULT_LIMIT;
    const limit = Number(raw);
    if (!/^\d+$/.test(raw) || limit < 1 || limit > MAX_LIMIT) {
      return openaiError(
        400,
        `Invalid 'limit': expected an integer between 1 and ${MAX_LIMIT}, got '${raw}'.`,
        "invalid_value",
        "limit",
      );
    }
    return limit;
  }

  const findProject = (id: string | undefined) => projects.find((project) => project.seed.id === id);
  const projectNotFound = (id: string | undefined) =>
    openaiError(404, `No project found with id '${id ?? ""}'.`, "not_found");
  const keyNotFound = (id: string | undefined) =>
    openaiError(404, `No API key found with id '${id ?? ""}'.`, "not_found");

  const standin = await startStandin({
    name: "OpenAI Admin API",
    port: options.port,
    faultResponse: openaiFault,
    handle(request) {
      const token = tokenFrom(request.authorization);
      if (token === undefined) {
        return openaiError(
          401,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using " +
            "Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          "invalid_api_key",
        );
      }
      if (token !== options.adminKey) {
        return openaiError(
          401,
          `Incorrect API key provided: ${maskForMessage(token)}. You can find your API key at ` +
            "https://platform.openai.com/account/api-keys.",
          "invalid_api_key",
        );
      }
      const { method, path, query } = request;
      const invalidUrl = openaiError(404, `Invalid URL (${method} ${path})`, null);

      if (path === "/v1/organization/projects") {
        if (method !== "GET") return invalidUrl;
        const limit = parseLimit(query.limit);
        if (typeof limit !== "number") return limit;
        const includeArchived = query.include_archived === "true";
        const all = projects.map(projectObject);
        const { data, hasMore } = page(
          all,
          (p) => includeArchived || p.status !== "archived",
          limit,
          query.after,
        );
        return { status: 200, body: list(data, hasMore) };
      }

      let params = matchPath("/v1/organization/projects/:project", path);
      if (params) {
        if (method !== "GET") return invalidUrl;
        const project = findProject(params.project);
        return project ? { status: 200, body: projectObject(project) } : projectNotFound(params.project);
      }

      params = matchPath("/v1/organization/projects/:project/api_keys", path);
      if (params) {
        if (method !== "GET") return invalidUrl;
        const project = findProject(params.project);
        if (!project) return projectNotFound(params.project);
        const limit = parseLimit(query.limit);
        if (typeof limit !== "number") return limit;
        // Cursor positions count deleted keys too, so deleting while paging does not lose the place.
        const all = project.keys.map((key) => ({ id: key.seed.id, key }));
        const { data, hasMore } = page(all, (item) => !item.key.deleted, limit, query.after);
        return {
          status: 200,
          body: list(
            data.map((item) => keyObject(item.key)),
            hasMore,
          ),
        };
      }

      params = matchPath("/v1/organization/projects/:project/api_keys/:key", path);
      if (params) {
        if (method !== "GET" && method !== "DELETE") return invalidUrl;
        const project = findProject(params.project);
        if (!project) return projectNotFound(params.project);
        const key = project.keys.find((candidate) => candidate.seed.id === params?.key && !candidate.deleted);
        if (!key) return keyNotFound(params.key);
        if (method === "GET") return { status: 200, body: keyObject(key) };
        key.deleted = true;
        deletions.push({ projectId: project.seed.id, keyId: key.seed.id, at: new Date() });
        return {
          status: 200,
          body: { object: "organization.project.api_key.deleted", id: key.seed.id, deleted: true },
        };
      }

      return invalidUrl;
    },
  });

  return {
    ...standin,
    deletions,
    liveKeyIds(projectId) {
      return (findProject(projectId)?.keys ?? []).filter((key) => !key.deleted).map((key) => key.seed.id);
    },
  };
}
