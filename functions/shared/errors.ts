/**
 * The one errors module. Each class's `name` is the error name Step Functions sees, so playbook Retry and
 * Catch clauses are compiled from these classes and never spelled twice.
 */
export class QuellError extends Error {
  /** Only errors marked safe may have their message shown in Slack. */
  readonly safeForSlack: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A dependency (provider API, AWS service) failed in a way worth retrying. */
export class TransientError extends QuellError {
  /** The HTTP status the dependency answered, when it answered at all (a timeout has none). */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}

/** Input did not match a schema; retrying will not help. */
export class ValidationError extends QuellError {
  override readonly safeForSlack = true;
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** A provider answered with a status that retrying will not change (401, 403, 404, 422). */
export class ProviderError extends QuellError {
  override readonly safeForSlack = true;
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A secret or setting the function needs is missing. */
export class ConfigurationError extends QuellError {}

/** A human denied an approval. Sent by the Slack app with SendTaskFailure. */
export class ApprovalDenied extends QuellError {
  override readonly safeForSlack = true;
}

/** A safety budget (blast radius) refused the action. */
export class BlastRadiusExceeded extends QuellError {
  override readonly safeForSlack = true;
}

/** An action's writes were sent, but reading the target back showed it is not in the wanted state. */
export class VerificationFailed extends QuellError {
  override readonly safeForSlack = true;
}

/**
 * The target is no longer as Quell read or left it (someone changed it since): writing now would overwrite that
 * change, so nothing is written. A human decides.
 */
export class TargetChanged extends QuellError {
  override readonly safeForSlack = true;
}

/** An undo was asked of an action that cannot restore what it changed. */
export class NotReversible extends QuellError {
  override readonly safeForSlack = true;
}

/**
 * An action was asked to run under the `auto` approval policy (no human first) although its contract does not
 * allow it: only reversible, low-blast-radius actions may.
 */
export class AutoApprovalRefused extends QuellError {
  override readonly safeForSlack = true;
}

/**
 * An action step behind an approval was invoked, but the approval is not recorded as given: not approved (pending,
 * denied, expired, missing), approved by fewer distinct people than its policy needs, or an `auto` step without
 * its stored approval by policy. A task token alone is never enough to act: nothing is sent.
 */
export class ApprovalNotRecorded extends QuellError {
  override readonly safeForSlack = true;
}

/**
 * The action would change a protected principal (QUELL_PROTECTED_PRINCIPALS): Quell never contains it, whatever
 * was approved; a human does, by hand. Nothing is sent.
 */
export class ProtectedPrincipal extends QuellError {
  override readonly safeForSlack = true;
}

/**
 * Quell is paused (`/quell pause`): the action sent nothing. A playbook's writing step retries it until Quell is
 * resumed (compile.ts), so the step goes on by itself then.
 */
export class QuellPaused extends QuellError {
  override readonly safeForSlack = true;
}

/** Error names Step Functions itself raises. */
export const StatesErrors = {
  all: "States.ALL",
  timeout: "States.Timeout",
  taskFailed: "States.TaskFailed",
} as const;

/** Lambda service errors worth retrying on every Lambda task. */
export const LambdaServiceErrors = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
] as const;

export type QuellErrorClass = abstract new (...args: never[]) => QuellError;

/** The Step Functions error name for an error class. */
export function errorName(errorClass: QuellErrorClass): string {
  return errorClass.name;
}

/** Normalise anything thrown into a QuellError once, at the edge. */
export function toQuellError(error: unknown): QuellError {
  if (error instanceof QuellError) return error;
  const status = retryableAwsStatus(error);
  if (status !== null) {
    const { name, message } = error as Error;
    return new TransientError(`${name}: ${message}`, { cause: error, ...(status ? { status } : {}) });
  }
  if (error instanceof Error) return new QuellError(error.message, { cause: error });
  return new QuellError(String(error));
}

/** What the SDK throws when no answer came (the request may or may not have been applied). */
const NETWORK_FAILURES = new Set(["TimeoutError", "RequestTimeout", "NetworkingError"]);
/**
 * Throttling answers that come as 400s without a retryable mark (DynamoDB's `ProvisionedThroughputExceededException`
 * among them): the AWS SDK retries these by name, and so must whoever sees one after the SDK's retries ran out.
 */
const THROTTLING_NAMES = new Set([
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "TransactionInProgressException",
]);
/** Socket errors of a service that is restarting or unreachable for a moment (DynamoDB Local being restarted). */
const SOCKET_FAILURES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"]);

/**
 * An AWS SDK service error worth retrying (throttling, a 5xx, or one the SDK marks retryable): its HTTP status
 * (0 when it has none), else null.
 */
function retryableAwsStatus(error: unknown): number | null {
  if (!(error instanceof Error)) return null;
  const { $fault, $retryable, $metadata } = error as {
    $fault?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const { code } = error as { code?: unknown };
  // No answer at all (the SDK attaches $metadata to these too): the request may or may not have arrived.
  if (NETWORK_FAILURES.has(error.name) || (typeof code === "string" && SOCKET_FAILURES.has(code))) return 0;
  if ($metadata === undefined) return null;
  const status = $metadata.httpStatusCode ?? 0;
  const retryable =
    $fault === "server" ||
    $retryable !== undefined ||
    status === 429 ||
    status >= 500 ||
    THROTTLING_NAMES.has(error.name);
  return retryable ? status : null;
}
