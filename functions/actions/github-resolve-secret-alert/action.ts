import * as z from "zod";
import { SecretNames } from "../../shared/env.js";
import { type ActionContext, defineAction } from "../contract.js";
import { githubHeaders, RepositoryName, secretScanningAlertUrl } from "../providers.js";

const Resolution = z.enum(["false_positive", "wont_fix", "revoked", "used_in_tests"]);
const AlertState = z.object({
  state: z.enum(["open", "resolved"]),
  resolution: z.string().nullable().optional(),
});

/** The alert's state as GitHub reports it now. */
async function alertState(
  input: { repository: string; alertNumber: number },
  { http, secret, env }: ActionContext,
) {
  const url = secretScanningAlertUrl(env, input.repository, input.alertNumber);
  const bearer = await secret(SecretNames.githubToken);
  return AlertState.parse((await http({ method: "GET", url, bearer, headers: githubHeaders })).body);
}

/** Resolve a GitHub secret-scanning alert (PATCH), skipping the write when it is already resolved. */
export const resolveGitHubSecretAlert = defineAction({
  name: "github.resolve-secret-scanning-alert",
  description: "Resolve a GitHub secret-scanning alert, for example as revoked once the key is gone.",
  input: z.object({
    repository: z.string().regex(RepositoryName),
    alertNumber: z.number().int().positive(),
    resolution: Resolution,
    comment: z.string().max(280),
  }),
  output: z.object({
    repository: z.string(),
    alertNumber: z.number(),
    resolution: Resolution,
    alreadyResolved: z.boolean(),
  }),
  secrets: [SecretNames.githubToken],
  iam: [],
  reversible: true,
  blastRadius: { maxWrites: 1, low: true },
  timeoutSeconds: 30,
  async plan(input, context) {
    const { http, secret, env } = context;
    const bearer = await secret(SecretNames.githubToken);
    const url = secretScanningAlertUrl(env, input.repository, input.alertNumber);
    const current = await alertState(input, context);
    const output = {
      repository: input.repository,
      alertNumber: input.alertNumber,
      resolution: input.resolution,
      alreadyResolved: current.state === "resolved",
    };
    if (output.alreadyResolved) return { writes: [], output };
    const body = { state: "resolved", resolution: input.resolution, resolution_comment: input.comment };
    return {
      writes: [
        {
          description: { kind: "http", method: "PATCH", url, body },
          send: () => http({ method: "PATCH", url, bearer, headers: githubHeaders, body }),
        },
      ],
      output,
    };
  },
  async verify(input, context) {
    const { state, resolution } = await alertState(input, context);
    return {
      verified: state === "resolved",
      observed: `alert #${input.alertNumber} is ${state}${resolution ? ` (${resolution})` : ""}`,
    };
  },
  async undo(input, { http, secret, env }) {
    const bearer = await secret(SecretNames.githubToken);
    const url = secretScanningAlertUrl(env, input.repository, input.alertNumber);
    const body = { state: "open" };
    return [
      {
        description: { kind: "http", method: "PATCH", url, body },
        send: () => http({ method: "PATCH", url, bearer, headers: githubHeaders, body }),
      },
    ];
  },
});
