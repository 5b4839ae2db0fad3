import { ProviderError, TransientError } from "./errors.js";

export interface HttpRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly url: string;
  readonly bearer?: string;
  /** A provider API key sent as `x-api-key` (Anthropic's Admin API), kept apart from headers like `bearer`. */
  readonly apiKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface HttpResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export type HttpClient = <T = unknown>(request: HttpRequest) => Promise<HttpResponse<T>>;

const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * A JSON-over-HTTP client for provider APIs. Statuses that may pass on retry become TransientError (so
 * Step Functions retries them); other failures become ProviderError. Error messages name the method,
 * path and status, never headers or tokens.
 */
export function createHttpClient(options: { timeoutMs?: number; userAgent?: string } = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async <T>(request: HttpRequest): Promise<HttpResponse<T>> => {
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": options.userAgent ?? "quell",
      ...request.headers,
    };
    if (request.bearer) headers.authorization = `Bearer ${request.bearer}`;
    if (request.apiKey) headers["x-api-key"] = request.apiKey;
    if (request.body !== undefined) headers["content-type"] = "application/json";
    const where = `${request.method} ${new URL(request.url).pathname}`;
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new TransientError(`${where} failed: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      const message = `${where} answered ${response.status}`;
      if (RETRYABLE_STATUSES.has(response.status))
        throw new TransientError(message, { status: response.status });
      throw new ProviderError(message, response.status);
    }
    let body: unknown = null;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new ProviderError(
          `${where} answered ${response.status} with a body that is not JSON`,
          response.status,
        );
      }
    }
    return { status: response.status, body: body as T };
  };
}
