/**
 * The provider requests a run's subject leads to, as the stand-ins see them: one matcher per operation, used both
 * to aim a fault at the run's own request and to attribute every recorded provider write to its run.
 */
import type { RecordedRequest } from "../../../infra/local/standins/server.js";
import type { FaultOperation, FaultTarget } from "./plan.js";
import { REPOSITORY, type Subject, slackMarker } from "./subjects.js";

export interface RequestMatcher {
  readonly target: FaultTarget;
  readonly method: string;
  readonly path: string;
  readonly where?: (request: RecordedRequest) => boolean;
}

const form = (request: RecordedRequest) => (request.body ?? {}) as Record<string, unknown>;
const iamCall = (action: string, userName: string) => (request: RecordedRequest) =>
  form(request).Action === action && form(request).UserName === userName;
const slackAbout = (subject: Subject) => (request: RecordedRequest) =>
  slackMarker(subject).test(JSON.stringify(request.body ?? ""));

/** The matcher of `operation` for this subject, or undefined when the subject has no such request. */
export function matcherFor(operation: FaultOperation, subject: Subject): RequestMatcher | undefined {
  if (operation === "slack.post-message") {
    return { target: "slack", method: "POST", path: "/api/chat.postMessage", where: slackAbout(subject) };
  }
  if (operation === "slack.update") {
    return { target: "slack", method: "POST", path: "/api/chat.update", where: slackAbout(subject) };
  }
  switch (subject.kind) {
    case "leaked-key": {
      const key = `/v1/organization/projects/${subject.projectId}/api_keys/${subject.keyId}`;
      const alert = `/repos/${REPOSITORY}/secret-scanning/alerts/${subject.alertNumber}`;
      if (operation === "openai.delete-key") return { target: "openai", method: "DELETE", path: key };
      if (operation === "openai.get-key") return { target: "openai", method: "GET", path: key };
      if (operation === "github.patch-alert") return { target: "github", method: "PATCH", path: alert };
      if (operation === "github.get-alert") return { target: "github", method: "GET", path: alert };
      return undefined;
    }
    case "llmjacking":
      if (operation === "iam.update-access-key") {
        return {
          target: "iam",
          method: "POST",
          path: "/",
          where: iamCall("UpdateAccessKey", subject.userName),
        };
      }
      if (operation === "iam.list-access-keys") {
        return {
          target: "iam",
          method: "POST",
          path: "/",
          where: iamCall("ListAccessKeys", subject.userName),
        };
      }
      return undefined;
    case "end-user":
      if (operation === "litellm.block") {
        const names = (request: RecordedRequest) => {
          const ids = form(request).user_ids;
          return Array.isArray(ids) && ids.includes(subject.userId);
        };
        return { target: "litellm", method: "POST", path: "/customer/block", where: names };
      }
      if (operation === "litellm.customer-info") {
        const about = (request: RecordedRequest) => request.query.end_user_id === subject.userId;
        return { target: "litellm", method: "GET", path: "/customer/info", where: about };
      }
      return undefined;
    case "ops-alert":
      return undefined;
  }
}

export const matches = (matcher: RequestMatcher, request: RecordedRequest) =>
  request.method === matcher.method && request.path === matcher.path && (matcher.where?.(request) ?? true);

/** The mitigation writes a subject can lead to (each at most once per approval). */
export const WRITE_OPERATIONS: readonly FaultOperation[] = [
  "openai.delete-key",
  "github.patch-alert",
  "iam.update-access-key",
  "litellm.block",
];

/**
 * Whether a request recorded at a provider stand-in changes something there: every non-GET, except the AWS
 * Query API's read operations (`List…`, `Get…`) and STS (sessions are not mitigations).
 */
export function isProviderWrite(target: string, request: RecordedRequest): boolean {
  if (target === "sts" || request.method === "GET" || request.method === "HEAD") return false;
  if (target === "iam") return !/^(List|Get)/.test(String(form(request).Action ?? ""));
  return true;
}
