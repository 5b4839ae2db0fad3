import { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deactivateAnthropicKey } from "../../functions/actions/anthropic-deactivate-key/action.js";
import { findLeakedAnthropicKey } from "../../functions/actions/anthropic-find-leaked-key/action.js";
import { deactivateBedrockApiKey } from "../../functions/actions/aws-deactivate-bedrock-api-key/action.js";
import { findLeakedBedrockApiKey } from "../../functions/actions/aws-find-bedrock-api-key/action.js";
import { findLeakedAwsAccessKey } from "../../functions/actions/aws-find-leaked-access-key/action.js";
import { bedrockKeyOf } from "../../functions/actions/bedrock-api-keys.js";
import type { ActionContext } from "../../functions/actions/contract.js";
import { runAction } from "../../functions/actions/run.js";
import { type SecretName, SecretNames } from "../../functions/shared/env.js";
import { ValidationError } from "../../functions/shared/errors.js";
import { createHttpClient } from "../../functions/shared/http.js";
import { type AnthropicStandin, startAnthropicStandin } from "../../infra/local/standins/anthropic.js";
import { type GitHubStandin, startGitHubStandin } from "../../infra/local/standins/github.js";
import { type IamStandin, startIamStandin } from "../../infra/local/standins/iam.js";
import {
  anthropicKeysSeed,
  bedrockApiKeysSeed,
  githubAlertSeed,
  LEAKED_ANTHROPIC_KEY_ID,
  LEAKED_BEDROCK_CREDENTIAL,
  LEAKED_BEDROCK_SECRET,
  LEAKED_BEDROCK_USER,
  otherLeakSeeds,
} from "../../infra/local/standins/scenario.js";
import { recordingJournal } from "./action-context-doubles.js";

const ADMIN_KEY = "sk-ant-admin01-unit-test-admin-key";
const GITHUB_TOKEN = "ghp_unitTestToken000000000000000000000000";
const REPOSITORY = "example-corp/support-chat-service";

/** 130 more keys than the seed, so the organisation's listing takes two pages of 100. */
const decoys = Array.from({ length: 130 }, (_, index) => ({
  id: `apikey_01Decoy${String(index).padStart(4, "0")}`,
  name: `decoy-${index}`,
  secret: `sk-ant-api03-DECOYfakeFAKE${String(index).padStart(4, "0")}${"x".repeat(80)}-d${String(index).padStart(3, "0")}`,
}));

/** 150 other Bedrock API keys, so IAM's listing takes two pages of 100. */
const otherBedrockKeys = Array.from({ length: 150 }, (_, index) => ({
  userName: `svc-batch-${index}`,
  serviceName: "bedrock.amazonaws.com",
  id: `ACCAEXAMPLEBATCH${String(index).padStart(6, "0")}`,
  alias: `BedrockAPIKey-svc-batch-${index}-at-111122223333`,
}));

describe("finding and disabling leaked credentials (real HTTP and the AWS SDK against the loopback stand-ins)", () => {
  let anthropic: AnthropicStandin;
  let github: GitHubStandin;
  let iam: IamStandin;
  let context: ActionContext;

  beforeAll(async () => {
    anthropic = await startAnthropicStandin({
      adminKey: ADMIN_KEY,
      keys: [...decoys, ...anthropicKeysSeed()],
    });
    github = await startGitHubStandin({
      token: GITHUB_TOKEN,
      alerts: [
        ...otherLeakSeeds(),
        githubAlertSeed({
          number: 90,
          secret: "sk-ant-admin01-LEAKEDadminKEYfake0000",
          secretType: "anthropic_api_key",
        }),
        githubAlertSeed({ number: 91, secret: "AKIAEXAMPLEFOREIGN91", secretType: "aws_access_key_id" }),
        githubAlertSeed({
          number: 92,
          secret: "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t",
          secretType: "aws_api_key",
        }),
      ],
    });
    iam = await startIamStandin({
      users: [{ userName: "svc-eval-uploader", keys: [{ accessKeyId: "AKIAEXAMPLEGH43LEAK1" }] }],
      serviceCredentials: [...otherBedrockKeys, ...bedrockApiKeysSeed()],
    });
    const secrets: Partial<Record<SecretName, string>> = {
      [SecretNames.anthropicAdminKey]: ADMIN_KEY,
      [SecretNames.githubToken]: GITHUB_TOKEN,
    };
    const client = new IAMClient({
      endpoint: iam.url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIAQUELLUNITTEST000", secretAccessKey: "unit" },
    });
    context = {
      http: createHttpClient(),
      secret: async (name) => secrets[name] ?? Promise.reject(new Error(`no secret ${name}`)),
      aws: {
        iam: () => client,
        bedrock: () => {
          throw new Error("no Bedrock");
        },
        bedrockAgent: () => {
          throw new Error("no Bedrock Agent");
        },
        sagemaker: () => {
          throw new Error("no SageMaker");
        },
        ssm: () => {
          throw new Error("no SSM");
        },
        s3: () => {
          throw new Error("no S3");
        },
      },
      env: { GITHUB_API_URL: github.url, ANTHROPIC_BASE_URL: `${anthropic.url}/v1` },
      journal: recordingJournal().journal,
    };
  });
  afterAll(async () => Promise.all([anthropic?.close(), github?.close(), iam?.close()]));

  const listings = () =>
    anthropic.requests.filter((request) => request.path === "/v1/organizations/api_keys");

  it("anthropic.find-leaked-key reads every page of the organisation's keys and matches the hint exactly once", async () => {
    const before = listings().length;
    const result = await runAction(
      findLeakedAnthropicKey,
      { repository: "example-corp/llm-eval-notebooks", alertNumber: 57 },
      { dryRun: false, context },
    );
    expect(result.output).toMatchObject({
      matchCount: 1,
      match: { keyId: LEAKED_ANTHROPIC_KEY_ID, status: "active" },
      adminKey: false,
    });
    expect(
      listings()
        .slice(before)
        .map((request) => request.query),
    ).toEqual([{ limit: "100" }, { limit: "100", after_id: expect.stringMatching(/^apikey_/) }]);
  });

  it("anthropic.find-leaked-key never looks up an admin key: it says so, and Anthropic is not asked", async () => {
    const before = anthropic.requests.length;
    const result = await runAction(
      findLeakedAnthropicKey,
      { repository: REPOSITORY, alertNumber: 90 },
      { dryRun: false, context },
    );
    expect(result.output).toMatchObject({ matchCount: 0, match: null, adminKey: true });
    expect(anthropic.requests).toHaveLength(before);
  });

  it("anthropic.deactivate-key leaves an inactive key alone, and refuses an unknown key before any write", async () => {
    const inactive = await runAction(
      deactivateAnthropicKey,
      { keyId: "apikey_01EvalNotebooksOld01" },
      { dryRun: false, context },
    );
    expect(inactive).toMatchObject({ writes: [], output: { previousStatus: "inactive" } });
    await expect(
      runAction(deactivateAnthropicKey, { keyId: "apikey_01NoSuchKey0000" }, { dryRun: false, context }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(anthropic.updates).toHaveLength(0);
  });

  it("aws.find-leaked-access-key names the owner, and matches nothing for a foreign or temporary key", async () => {
    const owned = await runAction(
      findLeakedAwsAccessKey,
      { repository: REPOSITORY, alertNumber: 43 },
      { dryRun: false, context },
    );
    expect(owned.output).toMatchObject({
      matchCount: 1,
      match: { userName: "svc-eval-uploader", accessKeyId: "AKIAEXAMPLEGH43LEAK1" },
    });
    const foreign = await runAction(
      findLeakedAwsAccessKey,
      { repository: REPOSITORY, alertNumber: 91 },
      { dryRun: false, context },
    );
    expect(foreign.output).toMatchObject({
      matchCount: 0,
      keyKind: "long-term",
      reason: expect.stringContaining("not one of this account"),
    });
    const lookups = iam.actions().length;
    const temporary = await runAction(
      findLeakedAwsAccessKey,
      { accessKeyId: "ASIAEXAMPLETMP45KEY0" },
      { dryRun: false, context },
    );
    expect(temporary.output).toMatchObject({ matchCount: 0, keyKind: "temporary" });
    expect(iam.actions()).toHaveLength(lookups);
  });

  it("reads a Bedrock API key's public alias, and tells short-term and foreign secrets apart", () => {
    expect(bedrockKeyOf(LEAKED_BEDROCK_SECRET)).toEqual({
      kind: "long-term",
      alias: "BedrockAPIKey-svc-support-bot-at-111122223333",
    });
    expect(bedrockKeyOf("bedrock-api-key-YmVkcm9jaw==")).toEqual({ kind: "short-term", alias: null });
    expect(bedrockKeyOf(`ABSK${Buffer.from("not-an-alias:secret").toString("base64")}`)).toEqual({
      kind: "unrecognised",
      alias: null,
    });
    expect(bedrockKeyOf("sk-proj-abc")).toEqual({ kind: "unrecognised", alias: null });
  });

  it("aws.find-bedrock-api-key pages through every user's keys; a short-term key is not looked up", async () => {
    const found = await runAction(
      findLeakedBedrockApiKey,
      { repository: REPOSITORY, alertNumber: 44 },
      { dryRun: false, context },
    );
    expect(found.output).toMatchObject({
      matchCount: 1,
      match: { userName: LEAKED_BEDROCK_USER, credentialId: LEAKED_BEDROCK_CREDENTIAL, status: "Active" },
    });
    expect(JSON.stringify(found)).not.toContain(LEAKED_BEDROCK_SECRET);
    const listCalls = iam.requests.filter(
      (request) => (request.body as { Action?: string }).Action === "ListServiceSpecificCredentials",
    );
    expect(listCalls.map((request) => (request.body as { Marker?: string }).Marker === undefined)).toEqual([
      true,
      false,
    ]);
    const before = iam.requests.length;
    const shortTerm = await runAction(
      findLeakedBedrockApiKey,
      { repository: REPOSITORY, alertNumber: 92 },
      { dryRun: false, context },
    );
    expect(shortTerm.output).toMatchObject({ matchCount: 0, keyKind: "short-term" });
    expect(iam.requests).toHaveLength(before);
  });

  it("aws.deactivate-bedrock-api-key refuses a credential the user does not have, before any write", async () => {
    await expect(
      runAction(
        deactivateBedrockApiKey,
        { userName: LEAKED_BEDROCK_USER, credentialId: "ACCAEXAMPLEBATCH000001" },
        { dryRun: false, context },
      ),
    ).rejects.toThrow(`IAM user ${LEAKED_BEDROCK_USER} has no Bedrock API key ACCAEXAMPLEBATCH000001`);
    expect(iam.serviceCredentialUpdates).toHaveLength(0);
  });
});
