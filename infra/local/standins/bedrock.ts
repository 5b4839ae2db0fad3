/**
 * Local stand-in for the Amazon Bedrock control plane (not AWS): the two REST JSON operations Quell's
 * `bedrock.tighten-prompt-attack-filter` action sends, as the AWS SDK v3 Bedrock client sends them and as
 * documented at https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetGuardrail.html and
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_UpdateGuardrail.html:
 *   GET /guardrails/{guardrailIdentifier}?guardrailVersion=DRAFT   → 200, the guardrail's configuration
 *   PUT /guardrails/{guardrailIdentifier}  application/json         → 202 {guardrailId, guardrailArn, version, updatedAt}
 * The identifier is a guardrail id or its ARN. UpdateGuardrail replaces the DRAFT's whole configuration: a
 * policy the body leaves out is gone. Errors are REST JSON: the type in `x-amzn-ErrorType`, `{"message"}` in
 * the body (ValidationException 400, ResourceNotFoundException 404, 403 without a SigV4 Authorization header
 * scoped to the `bedrock` service; the signature itself is not checked). Only DRAFT is kept: numbered versions
 * are not found here. Reach it with `AWS_ENDPOINT_URL_BEDROCK`.
 */
import { randomUUID } from "node:crypto";
import { type Json, POLICY_MEMBERS, storedPolicy, updateProblem } from "./bedrock-guardrail-rules.js";
import { isRecord, matchPath, type Standin, type StandinResponse, startStandin } from "./server.js";

/** A guardrail's DRAFT as GetGuardrail returns it, minus what the stand-in derives (ARN, version, status, times). */
export interface GuardrailSeed {
  guardrailId: string;
  name: string;
  description?: string;
  blockedInputMessaging: string;
  blockedOutputsMessaging: string;
  /** topicPolicy, contentPolicy, wordPolicy, sensitiveInformationPolicy, contextualGroundingPolicy, … */
  policies: Json;
  kmsKeyArn?: string;
}

export interface BedrockStandinOptions {
  accountId: string;
  region: string;
  guardrails: GuardrailSeed[];
  port?: number;
}

/** One UpdateGuardrail the stand-in applied, in order: the body exactly as sent. */
export interface GuardrailUpdate {
  guardrailId: string;
  body: Json;
  at: Date;
}

export interface BedrockStandin extends Standin {
  /** A guardrail's DRAFT exactly as GetGuardrail would return it now, or undefined when it does not exist. */
  guardrail(guardrailId: string): Json | undefined;
  /** Every UpdateGuardrail applied, in order. */
  updates: GuardrailUpdate[];
  /** The operations received (`GetGuardrail`, `UpdateGuardrail`, or the method and path), refused ones included. */
  operations(): string[];
  /** Change a guardrail's DRAFT as a human would in the console: `change` edits its policies in place. */
  updateByHand(guardrailId: string, change: (policies: Json) => void): void;
}

interface StoredGuardrail {
  seed: GuardrailSeed;
  createdAt: Date;
  updatedAt: Date;
}

const GUARDRAIL_PATH = "/guardrails/:guardrailIdentifier";
const IDENTIFIER = /^(?:[a-z0-9]+|arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:\d{12}:guardrail\/[a-z0-9]+)$/;
/** `AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/bedrock/aws4_request, SignedHeaders=…, Signature=…` */
const SIGV4_BEDROCK =
  /^AWS4-HMAC-SHA256 Credential=[^/\s]+\/\d{8}\/[a-z0-9-]+\/bedrock\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/;

function bedrockError(status: number, type: string, message: string): StandinResponse {
  return {
    status,
    body: { message },
    headers: { "x-amzn-errortype": type, "x-amzn-requestid": randomUUID() },
  };
}

const ok = (status: number, body: Json): StandinResponse => ({
  status,
  body,
  headers: { "x-amzn-requestid": randomUUID() },
});

function operationOf(method: string, path: string): string {
  if (!matchPath(GUARDRAIL_PATH, path)) return `${method} ${path}`;
  return method === "GET" ? "GetGuardrail" : method === "PUT" ? "UpdateGuardrail" : `${method} ${path}`;
}

export async function startBedrockStandin(options: BedrockStandinOptions): Promise<BedrockStandin> {
  const started = new Date();
  const { accountId, region } = options;
  const guardrails = new Map<string, StoredGuardrail>(
    options.guardrails.map((seed) => [
      seed.guardrailId,
      { seed: structuredClone(seed), createdAt: started, updatedAt: started },
    ]),
  );
  const updates: GuardrailUpdate[] = [];
  const arnOf = (guardrailId: string) => `arn:aws:bedrock:${region}:${accountId}:guardrail/${guardrailId}`;

  /** The stored guardrail an identifier (id or this account's ARN) names. */
  const find = (identifier: string) => {
    const id = identifier.startsWith("arn:") ? identifier.split("/").at(-1) : identifier;
    const stored = id ? guardrails.get(id) : undefined;
    return stored && (identifier === id || identifier === arnOf(id ?? "")) ? stored : undefined;
  };

  const view = ({ seed, createdAt, updatedAt }: StoredGuardrail): Json => ({
    name: seed.name,
    ...(seed.description !== undefined ? { description: seed.description } : {}),
    guardrailId: seed.guardrailId,
    guardrailArn: arnOf(seed.guardrailId),
    version: "DRAFT",
    status: "READY",
    ...structuredClone(seed.policies),
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    blockedInputMessaging: seed.blockedInputMessaging,
    blockedOutputsMessaging: seed.blockedOutputsMessaging,
    ...(seed.kmsKeyArn ? { kmsKeyArn: seed.kmsKeyArn } : {}),
  });

  /** The body of an UpdateGuardrail turned into the DRAFT GetGuardrail returns from then on. */
  const replaced = (guardrailId: string, body: Json): GuardrailSeed => {
    const policies: Json = {};
    for (const [written, read, members] of POLICY_MEMBERS)
      if (isRecord(body[written])) policies[read] = storedPolicy(body[written], members);
    const crossRegion = isRecord(body.crossRegionConfig)
      ? body.crossRegionConfig.guardrailProfileIdentifier
      : null;
    if (typeof crossRegion === "string") {
      const profileArn = crossRegion.startsWith("arn:")
        ? crossRegion
        : `arn:aws:bedrock:${region}:${accountId}:guardrail-profile/${crossRegion}`;
      policies.crossRegionDetails = {
        guardrailProfileId: profileArn.split("/").at(-1),
        guardrailProfileArn: profileArn,
      };
    }
    const kmsKeyId = typeof body.kmsKeyId === "string" ? body.kmsKeyId : undefined;
    return {
      guardrailId,
      name: String(body.name),
      ...(typeof body.description === "string" ? { description: body.description } : {}),
      blockedInputMessaging: String(body.blockedInputMessaging),
      blockedOutputsMessaging: String(body.blockedOutputsMessaging),
      policies,
      ...(kmsKeyId
        ? {
            kmsKeyArn: kmsKeyId.startsWith("arn:")
              ? kmsKeyId
              : `arn:aws:kms:${region}:${accountId}:key/${kmsKeyId}`,
          }
        : {}),
    };
  };

  const standin = await startStandin({
    name: "Amazon Bedrock",
    faultResponse: (status) =>
      status === 429
        ? bedrockError(429, "ThrottlingException", "Too many requests, please wait before trying again.")
        : status === 503
          ? bedrockError(503, "ServiceUnavailableException", "Service is unavailable. Try again later.")
          : bedrockError(status, "InternalServerException", "Internal server error. Try again later."),
    ...(options.port !== undefined ? { port: options.port } : {}),
    handle(request) {
      const params = matchPath(GUARDRAIL_PATH, request.path);
      if (!params || (request.method !== "GET" && request.method !== "PUT")) {
        return bedrockError(
          404,
          "UnknownOperationException",
          `${request.method} ${request.path} is not served here`,
        );
      }
      if (!request.authorization)
        return bedrockError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
      if (!SIGV4_BEDROCK.test(request.authorization)) {
        return bedrockError(
          403,
          "IncompleteSignatureException",
          "The request signature is not a SigV4 signature for bedrock",
        );
      }
      const identifier = params.guardrailIdentifier ?? "";
      if (!IDENTIFIER.test(identifier)) {
        return bedrockError(
          400,
          "ValidationException",
          `1 validation error detected: Value '${identifier}' at 'guardrailIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ${IDENTIFIER.source}`,
        );
      }
      const stored = find(identifier);
      if (!stored)
        return bedrockError(404, "ResourceNotFoundException", `Guardrail ${identifier} was not found.`);

      if (request.method === "GET") {
        const version = request.query.guardrailVersion ?? "DRAFT";
        if (version !== "DRAFT") {
          return bedrockError(
            404,
            "ResourceNotFoundException",
            `Version ${version} of guardrail ${identifier} was not found.`,
          );
        }
        return ok(200, view(stored));
      }
      if (request.bodyParseError || !isRecord(request.body)) {
        return bedrockError(400, "SerializationException", "The request body is not a JSON object.");
      }
      const problem = updateProblem(request.body);
      if (problem) return bedrockError(400, "ValidationException", problem);
      const { guardrailId } = stored.seed;
      stored.seed = replaced(guardrailId, request.body);
      stored.updatedAt = new Date();
      updates.push({ guardrailId, body: structuredClone(request.body), at: stored.updatedAt });
      return ok(202, {
        guardrailId,
        guardrailArn: arnOf(guardrailId),
        version: "DRAFT",
        updatedAt: stored.updatedAt.toISOString(),
      });
    },
  });

  return Object.assign(standin, {
    updates,
    guardrail(guardrailId: string) {
      const stored = guardrails.get(guardrailId);
      return stored ? view(stored) : undefined;
    },
    operations() {
      return standin.requests.map((request) => operationOf(request.method, request.path));
    },
    updateByHand(guardrailId: string, change: (policies: Json) => void) {
      const stored = guardrails.get(guardrailId);
      if (!stored) throw new Error(`no guardrail ${guardrailId} in the Bedrock stand-in`);
      change(stored.seed.policies as Json);
      stored.updatedAt = new Date();
    },
  });
}
