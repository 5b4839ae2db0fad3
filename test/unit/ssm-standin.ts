/**
 * A loopback fake of SSM Parameter Store's GetParameter, speaking AWS JSON 1.1 as the SDK v3 client sends it
 * (`POST /`, `X-Amz-Target: AmazonSSM.GetParameter`, application/x-amz-json-1.1;
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html). It checks the exact
 * request: a SigV4 Authorization scoped to `ssm` (the signature itself is not checked), and a body of exactly
 * `{"Name": ..., "WithDecryption": true}`; anything else is answered with SSM's ValidationException, so a client
 * that stops asking for decryption fails the tests. Reach it with AWS_ENDPOINT_URL_SSM.
 */
import { randomUUID } from "node:crypto";
import {
  type Standin,
  type StandinRequest,
  type StandinResponse,
  startStandin,
} from "../../infra/local/standins/server.js";

export interface SsmStandin extends Standin {
  /** Set (or rotate) a SecureString parameter, as `aws ssm put-parameter --overwrite` would. */
  put(name: string, value: string): void;
  /** The parameter names of the GetParameter calls received, in order. */
  reads(): string[];
}

const JSON_11 = "application/x-amz-json-1.1";

const answer = (status: number, body: unknown): StandinResponse => ({
  status,
  body,
  headers: { "content-type": JSON_11, "x-amzn-requestid": randomUUID() },
});

const error = (type: string, message: string, status = 400) => answer(status, { __type: type, message });

const signedForSsm = (request: StandinRequest) =>
  /^AWS4-HMAC-SHA256 Credential=[^/\s]+\/\d{8}\/[a-z0-9-]+\/ssm\/aws4_request, ?SignedHeaders=/.test(
    request.authorization ?? "",
  );

export async function startSsmStandin(accountId = "123456789012"): Promise<SsmStandin> {
  const parameters = new Map<string, { value: string; version: number }>();
  const reads: string[] = [];
  const standin = await startStandin({
    name: "AWS Systems Manager Parameter Store",
    handle(request) {
      const target = String(request.headers["x-amz-target"] ?? "");
      if (request.method !== "POST" || request.path !== "/" || target !== "AmazonSSM.GetParameter") {
        return error("InvalidAction", `${request.method} ${request.path} ${target} is not GetParameter`);
      }
      if (request.contentType !== JSON_11)
        return error("ValidationException", `content type ${request.contentType}`);
      if (!signedForSsm(request)) return error("AccessDeniedException", "not signed for ssm", 403);
      let input: unknown;
      try {
        input = JSON.parse(request.rawBody);
      } catch {
        return error("SerializationException", "body is not JSON");
      }
      const { Name, WithDecryption, ...rest } = (input ?? {}) as Record<string, unknown>;
      if (typeof Name !== "string" || WithDecryption !== true || Object.keys(rest).length > 0) {
        return error("ValidationException", `expected {Name, WithDecryption: true}, got ${request.rawBody}`);
      }
      reads.push(Name);
      const parameter = parameters.get(Name);
      if (!parameter) return error("ParameterNotFound", `Parameter ${Name} not found.`);
      return answer(200, {
        Parameter: {
          Name,
          Type: "SecureString",
          Value: parameter.value,
          Version: parameter.version,
          ARN: `arn:aws:ssm:eu-west-1:${accountId}:parameter${Name}`,
          DataType: "text",
        },
      });
    },
  });
  return Object.assign(standin, {
    put(name: string, value: string) {
      parameters.set(name, { value, version: (parameters.get(name)?.version ?? 0) + 1 });
    },
    reads: () => [...reads],
  });
}
