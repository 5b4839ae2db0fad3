/**
 * What the operations of the Agents for Amazon Bedrock stand-in (see bedrock-agent.ts) share: the REST JSON error
 * shape (the type in `x-amzn-ErrorType`, `{"message"}` in the body), the identifier patterns the API reference
 * documents, the routes table, and nextToken/maxResults paging as the list operations document it (maxResults
 * 1–1000; a nextToken present only while more results remain, e.g.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ListAgentActionGroups.html).
 */
import { randomUUID } from "node:crypto";
import { isRecord, type StandinRequest, type StandinResponse } from "./server.js";

/** One operation: the method and path the AWS SDK v3 BedrockAgentClient sends, and its handler. */
export interface AgentRoute {
  operation: string;
  method: "GET" | "POST" | "PUT";
  /** A matchPath pattern, trailing slash included when the SDK sends one. */
  path: string;
  /** The pattern `agentVersion` must satisfy in this operation; default VERSION. */
  agentVersion?: RegExp;
  handle(params: Record<string, string>, request: StandinRequest): StandinResponse | Promise<StandinResponse>;
}

/** agentId, actionGroupId, knowledgeBaseId, dataSourceId, ingestionJobId: `^[0-9a-zA-Z]{10}$`. */
export const ID10 = /^[0-9a-zA-Z]{10}$/;
export const AGENT_ALIAS_ID = /^(?=.{10}$)(\bTSTALIASID\b|[0-9a-zA-Z]+)$/;
/** DRAFT or a numbered version (ListAgentActionGroups, GetAgentActionGroup, alias routing). */
export const VERSION = /^(DRAFT|[0-9]{0,4}[1-9][0-9]{0,4})$/;
/** GetAgentVersion's NumericalVersion. */
export const NUMBERED_VERSION = /^[0-9]{1,5}$/;
/** UpdateAgentActionGroup's DraftVersion. */
export const DRAFT_VERSION = /^DRAFT$/;
/** Names of aliases and action groups. */
export const NAME = /^([0-9a-zA-Z][_-]?){1,100}$/;
/** clientToken: 33 to 256 characters. */
export const CLIENT_TOKEN = /^(?=.{33,256}$)[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;
/** `AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/bedrock/aws4_request, SignedHeaders=…, Signature=…` */
export const SIGV4_BEDROCK =
  /^AWS4-HMAC-SHA256 Credential=[^/\s]+\/\d{8}\/[a-z0-9-]+\/bedrock\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/;

const PARAM_PATTERNS: Record<string, RegExp> = {
  agentId: ID10,
  agentAliasId: AGENT_ALIAS_ID,
  actionGroupId: ID10,
  knowledgeBaseId: ID10,
  dataSourceId: ID10,
  ingestionJobId: ID10,
};

export function agentError(status: number, type: string, message: string): StandinResponse {
  return {
    status,
    body: { message },
    headers: { "x-amzn-errortype": type, "x-amzn-requestid": randomUUID() },
  };
}

export const invalid = (message: string): StandinResponse => agentError(400, "ValidationException", message);
export const notFound = (message: string): StandinResponse =>
  agentError(404, "ResourceNotFoundException", message);
export const conflict = (message: string): StandinResponse => agentError(409, "ConflictException", message);
export const constraint = (member: string, value: unknown, rule: string): string =>
  `Value '${typeof value === "string" ? value : JSON.stringify(value)}' at '${member}' failed to satisfy constraint: ${rule}`;

/** The first path parameter of `route` that breaks its documented pattern, as a ValidationException. */
export function paramProblem(route: AgentRoute, params: Record<string, string>): StandinResponse | undefined {
  for (const [name, value] of Object.entries(params)) {
    const pattern = name === "agentVersion" ? (route.agentVersion ?? VERSION) : PARAM_PATTERNS[name];
    if (pattern && !pattern.test(value))
      return invalid(
        constraint(name, value, `Member must satisfy regular expression pattern: ${pattern.source}`),
      );
  }
  return undefined;
}

/** The JSON object body of a request (an empty body is `{}`), or the SerializationException to answer. */
export function jsonBody(
  request: StandinRequest,
): { body: Record<string, unknown> } | { error: StandinResponse } {
  if (request.rawBody.length === 0) return { body: {} };
  if (request.bodyParseError || !isRecord(request.body))
    return { error: agentError(400, "SerializationException", "The request body is not a JSON object.") };
  return { body: request.body };
}

/** What is wrong with the members of `body` given those the operation has, or undefined. */
export function unknownMembers(
  operation: string,
  body: Record<string, unknown>,
  members: readonly string[],
): string | undefined {
  const unknown = Object.keys(body).filter((member) => !members.includes(member));
  return unknown.length > 0 ? `${operation} has no member ${unknown.join(", ")}` : undefined;
}

const TOKEN_PREFIX = "quell-bedrock-agent-standin";
/** Page size when maxResults is absent (the service does not document its default). */
export const DEFAULT_PAGE_SIZE = 10;

/**
 * One page of `items` for a list request `body` (`maxResults`, `nextToken`): the page and the nextToken of the
 * rest, or the ValidationException to answer. `scope` ties a token to the list it came from.
 */
export function paginate<T>(
  items: readonly T[],
  body: Record<string, unknown>,
  scope: string,
): { page: T[]; nextToken?: string } | { error: StandinResponse } {
  const { maxResults, nextToken } = body;
  if (
    maxResults !== undefined &&
    (typeof maxResults !== "number" || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000)
  )
    return {
      error: invalid(constraint("maxResults", maxResults, "Member must have value between 1 and 1000")),
    };
  let start = 0;
  if (nextToken !== undefined) {
    const decoded =
      typeof nextToken === "string" && /^[A-Za-z0-9_-]{1,2048}$/.test(nextToken)
        ? Buffer.from(nextToken, "base64url").toString("utf8")
        : "";
    const match = /^(.*)\|(\d+)$/.exec(decoded);
    if (!match || match[1] !== `${TOKEN_PREFIX}:${scope}`)
      return { error: invalid("The nextToken is not valid.") };
    start = Number(match[2]);
  }
  const end = start + (typeof maxResults === "number" ? maxResults : DEFAULT_PAGE_SIZE);
  const page = items.slice(start, end);
  return end < items.length
    ? { page, nextToken: Buffer.from(`${TOKEN_PREFIX}:${scope}|${end}`, "utf8").toString("base64url") }
    : { page };
}

/** `value` with the members whose value is undefined left out (the service omits absent members). */
export function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

/**
 * A list request: its body (only `members`, by default maxResults and nextToken) and the page of `items` it asks
 * for, or the error to answer.
 */
export function listPage<T>(
  request: StandinRequest,
  operation: string,
  items: readonly T[] | ((body: Record<string, unknown>) => T[] | StandinResponse),
  scope: string,
  members: readonly string[] = ["maxResults", "nextToken"],
): { page: T[]; nextToken?: string } | { error: StandinResponse } {
  const parsed = jsonBody(request);
  if ("error" in parsed) return parsed;
  const problem = unknownMembers(operation, parsed.body, members);
  if (problem) return { error: invalid(problem) };
  const all = typeof items === "function" ? items(parsed.body) : items;
  if (!Array.isArray(all)) return { error: all as StandinResponse };
  return paginate(all, parsed.body, scope);
}
