/**
 * Local stand-in for GitHub's secret-scanning REST API (not GitHub): just the two endpoints Quell calls.
 * Reference: https://docs.github.com/rest/secret-scanning/secret-scanning
 *   GET   /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}   "Get a secret scanning alert"
 *   PATCH /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}   "Update a secret scanning alert"
 * The alert body follows GitHub's `secret-scanning-alert` schema (rest-api-description). Error bodies use
 * GitHub's `{message, documentation_url, status}` shape; the 422 wording is ours where GitHub documents only
 * the condition ("State does not match the resolution or resolution comment").
 */
import {
  isRecord,
  matchPath,
  type Standin,
  type StandinResponse,
  startStandin,
  tokenFrom,
} from "./server.js";

export type SecretScanningResolution = "false_positive" | "wont_fix" | "revoked" | "used_in_tests";
export type SecretScanningValidity = "active" | "inactive" | "unknown";

export interface GitHubAlertSeed {
  owner: string;
  repo: string;
  number: number;
  secret: string;
  secretType: string;
  secretTypeDisplayName: string;
  state?: "open" | "resolved";
  /** Only meaningful with state "resolved". */
  resolution?: SecretScanningResolution;
  resolutionComment?: string;
  validity?: SecretScanningValidity;
  createdAt?: Date;
}

export interface GitHubStandinOptions {
  token: string;
  alerts: GitHubAlertSeed[];
  port?: number;
}

/** GitHub's `simple-user` shape; a fixed bot stands for whoever resolves alerts through the stand-in. */
export interface GitHubSimpleUser {
  login: string;
  id: number;
  node_id: string;
  avatar_url: string;
  gravatar_id: string;
  url: string;
  html_url: string;
  type: "Bot" | "User";
  site_admin: boolean;
}

/** The alert as GitHub returns it (fields Quell does not use are present with GitHub's defaults). */
export interface GitHubSecretScanningAlert {
  number: number;
  created_at: string;
  updated_at: string | null;
  url: string;
  html_url: string;
  locations_url: string;
  state: "open" | "resolved";
  resolution: SecretScanningResolution | null;
  resolved_at: string | null;
  resolved_by: GitHubSimpleUser | null;
  resolution_comment: string | null;
  secret_type: string;
  secret_type_display_name: string;
  secret: string;
  validity: SecretScanningValidity;
  publicly_leaked: boolean;
  multi_repo: boolean;
  is_base64_encoded: boolean;
  has_more_locations: boolean;
  first_location_detected: null;
  push_protection_bypassed: boolean;
  push_protection_bypassed_by: GitHubSimpleUser | null;
  push_protection_bypassed_at: string | null;
  push_protection_bypass_request_reviewer: GitHubSimpleUser | null;
  push_protection_bypass_request_reviewer_comment: string | null;
  push_protection_bypass_request_comment: string | null;
  push_protection_bypass_request_html_url: string | null;
  assigned_to: GitHubSimpleUser | null;
}

export interface GitHubStandin extends Standin {
  /** Current state of an alert (a copy), or undefined. Owner and repo are case-insensitive, as on GitHub. */
  alert(owner: string, repo: string, number: number): GitHubSecretScanningAlert | undefined;
}

export const GITHUB_STANDIN_BOT: GitHubSimpleUser = {
  login: "quell-standin[bot]",
  id: 1,
  node_id: "BOT_standin",
  avatar_url: "https://avatars.githubusercontent.com/u/0?v=4",
  gravatar_id: "",
  url: "https://api.github.com/users/quell-standin%5Bbot%5D",
  html_url: "https://github.com/apps/quell-standin",
  type: "Bot",
  site_admin: false,
};

const RESOLUTIONS: readonly SecretScanningResolution[] = [
  "false_positive",
  "wont_fix",
  "revoked",
  "used_in_tests",
];
const DOCS_GET = "https://docs.github.com/rest/secret-scanning/secret-scanning#get-a-secret-scanning-alert";
const DOCS_UPDATE =
  "https://docs.github.com/rest/secret-scanning/secret-scanning#update-a-secret-scanning-alert";
const ALERT_ROUTE = "/repos/:owner/:repo/secret-scanning/alerts/:number";

/** GitHub timestamps are ISO 8601 without milliseconds: YYYY-MM-DDTHH:MM:SSZ. */
function githubTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function error(
  status: number,
  message: string,
  documentationUrl = "https://docs.github.com/rest",
): StandinResponse {
  return { status, body: { message, documentation_url: documentationUrl, status: String(status) } };
}

/** GitHub's answers to rate limiting (a secondary rate limit, with retry-after) and to its own failures. */
function githubFault(status: number): StandinResponse {
  if (status === 429 || status === 403) {
    return {
      ...error(
        status,
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
      ),
      headers: { "retry-after": "1", "x-ratelimit-remaining": "0" },
    };
  }
  return error(status, status === 503 ? "Service Unavailable" : "Server Error");
}

function invalid(message: string): StandinResponse {
  return error(422, message, DOCS_UPDATE);
}

const alertKey = (owner: string, repo: string, number: number) =>
  `${owner.toLowerCase()}/${repo.toLowerCase()}#${number}`;

export async function startGitHubStandin(options: GitHubStandinOptions): Promise<GitHubStandin> {
  const alerts = new Map<string, GitHubSecretScanningAlert>();
  let baseUrl = "";

  const standin = await startStandin({
    name: "GitHub API",
    port: options.port,
    faultResponse: githubFault,
    handle(request) {
      // GitHub accepts both `Bearer` and the older `token` scheme for PATs and app tokens.
      if (tokenFrom(request.authorization, ["bearer", "token"]) !== options.token) {
        return error(401, "Bad credentials");
      }
      const params = matchPath(ALERT_ROUTE, request.path);
      if (!params || !/^[1-9]\d*$/.test(params.number ?? "")) return error(404, "Not Found");
      const alert = alerts.get(alertKey(params.owner ?? "", params.repo ?? "", Number(params.number)));
      if (request.method === "GET") {
        return alert ? { status: 200, body: alert } : error(404, "Not Found", DOCS_GET);
      }
      if (request.method !== "PATCH") return error(404, "Not Found");
      if (!alert) return error(404, "Not Found", DOCS_UPDATE);
      if (request.bodyParseError || !isRecord(request.body)) {
        return error(400, "Problems parsing JSON", DOCS_UPDATE);
      }
      return update(alert, request.body);
    },
  });
  baseUrl = standin.url;

  for (const seed of options.alerts) {
    const { owner, repo, number } = seed;
    const created = githubTime(seed.createdAt ?? new Date());
    const resolved = seed.state === "resolved";
    const path = `/repos/${owner}/${repo}/secret-scanning/alerts/${number}`;
    alerts.set(alertKey(owner, repo, number), {
      number,
      created_at: created,
      updated_at: created,
      // API links point at the stand-in; html_url keeps github.com's path layout on the stand-in's host, so
      // nothing printed by the demo looks like a real github.com alert.
      url: `${baseUrl}${path}`,
      html_url: `${baseUrl}/${owner}/${repo}/security/secret-scanning/${number}`,
      locations_url: `${baseUrl}${path}/locations`,
      state: resolved ? "resolved" : "open",
      resolution: resolved ? (seed.resolution ?? "revoked") : null,
      resolved_at: resolved ? created : null,
      resolved_by: resolved ? GITHUB_STANDIN_BOT : null,
      resolution_comment: resolved ? (seed.resolutionComment ?? null) : null,
      secret_type: seed.secretType,
      secret_type_display_name: seed.secretTypeDisplayName,
      secret: seed.secret,
      validity: seed.validity ?? "unknown",
      publicly_leaked: false,
      multi_repo: false,
      is_base64_encoded: false,
      has_more_locations: false,
      first_location_detected: null,
      push_protection_bypassed: false,
      push_protection_bypassed_by: null,
      push_protection_bypassed_at: null,
      push_protection_bypass_request_reviewer: null,
      push_protection_bypass_request_reviewer_comment: null,
      push_protection_bypass_request_comment: null,
      push_protection_bypass_request_html_url: null,
      assigned_to: null,
    });
  }

  /** Validates like GitHub's request schema: state open|resolved; resolution required to resolve. */
  function update(alert: GitHubSecretScanningAlert, body: Record<string, unknown>): StandinResponse {
    const { state, resolution, resolution_comment: comment } = body;
    if (state === undefined) return invalid('Invalid request.\n\n"state" wasn\'t supplied.');
    if (state !== "open" && state !== "resolved") {
      return invalid(
        `Invalid request.\n\nFor 'properties/state', ${JSON.stringify(state)} is not one of ["open", "resolved"].`,
      );
    }
    if (
      resolution !== undefined &&
      resolution !== null &&
      !RESOLUTIONS.includes(resolution as SecretScanningResolution)
    ) {
      return invalid(
        `Invalid request.\n\nFor 'properties/resolution', ${JSON.stringify(resolution)} is not one of ` +
          `["false_positive", "wont_fix", "revoked", "used_in_tests", null].`,
      );
    }
    if (comment !== undefined && comment !== null && typeof comment !== "string") {
      return invalid(
        `Invalid request.\n\nFor 'properties/resolution_comment', ${JSON.stringify(comment)} is not a string or null.`,
      );
    }
    const now = githubTime(new Date());
    if (state === "resolved") {
      if (resolution === undefined || resolution === null) {
        return invalid("A resolution is required when the state is resolved.");
      }
      alert.state = "resolved";
      alert.resolution = resolution as SecretScanningResolution;
      alert.resolved_at = now;
      alert.resolved_by = GITHUB_STANDIN_BOT;
      alert.resolution_comment = (comment as string | null | undefined) ?? null;
    } else {
      // The docs: resolution_comment "Must be null when changing state to open".
      if (comment !== undefined && comment !== null) {
        return invalid("A resolution comment must be null when the state is open.");
      }
      if (resolution !== undefined && resolution !== null) {
        return invalid("A resolution can only be given when the state is resolved.");
      }
      alert.state = "open";
      alert.resolution = null;
      alert.resolved_at = null;
      alert.resolved_by = null;
      alert.resolution_comment = null;
    }
    alert.updated_at = now;
    return { status: 200, body: alert };
  }

  return {
    ...standin,
    alert(owner, repo, number) {
      const alert = alerts.get(alertKey(owner, repo, number));
      return alert ? structuredClone(alert) : undefined;
    },
  };
}
