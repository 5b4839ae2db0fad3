import * as z from "zod";
import { type CanonicalAlert, type Severity, tagsFor } from "../shared/alert.js";
import { SecretNames } from "../shared/env.js";
import { verifyGitHubSignature } from "../shared/signatures.js";
import type { GitHubSender } from "./github-allow.js";
import { alertIdFor, type SourceAdapter } from "./source.js";

/** The parts of GitHub's `secret_scanning_alert` webhook that Quell reads. Everything else passes through. */
const SecretScanningAlertEvent = z.object({
  action: z.enum([
    "created",
    "publicly_leaked",
    "reopened",
    "resolved",
    "validated",
    "assigned",
    "unassigned",
  ]),
  alert: z.object({
    number: z.number().int().positive(),
    secret_type: z.string().min(1).max(200),
    secret_type_display_name: z.string().max(200).nullish(),
    html_url: z.url().max(2048),
    created_at: z.iso.datetime({ offset: true }),
    updated_at: z.iso.datetime({ offset: true }).nullish(),
    validity: z.enum(["active", "inactive", "unknown"]).nullish(),
    publicly_leaked: z.boolean().nullish(),
    resolution: z.string().max(64).nullish(),
  }),
  repository: z.object({
    id: z.number().int().positive(),
    full_name: z.string().regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/),
    html_url: z.url().max(2048),
  }),
  /** Present when the repository belongs to an organisation. */
  organization: z.object({ login: z.string().regex(/^[A-Za-z0-9-]{1,39}$/) }).nullish(),
  /** Present when a GitHub App's webhook sent the delivery. */
  installation: z.object({ id: z.number().int().positive() }).nullish(),
});
export type SecretScanningAlertEvent = z.infer<typeof SecretScanningAlertEvent>;

/** AI providers by GitHub secret type prefix. */
const AI_PROVIDERS: readonly [prefix: string, provider: string][] = [
  ["openai_", "openai"],
  ["anthropic_", "anthropic"],
  ["huggingface_", "huggingface"],
  ["google_gemini_", "google-ai"],
  ["azure_openai_", "azure-openai"],
  // Access key ids, secret keys, session tokens and API keys (Amazon Bedrock's): any of them runs models.
  ["aws_", "aws"],
];

export const providerOfSecretType = (secretType: string): string | undefined =>
  AI_PROVIDERS.find(([prefix]) => secretType.startsWith(prefix))?.[1];

function severityOf(event: SecretScanningAlertEvent): Severity {
  const leakedPublicly = event.action === "publicly_leaked" || event.alert.publicly_leaked === true;
  if (event.alert.validity === "inactive") return "medium";
  return leakedPublicly ? "critical" : "high";
}

const statusOf = (action: SecretScanningAlertEvent["action"]) =>
  action === "resolved"
    ? "resolved"
    : action === "created" || action === "publicly_leaked"
      ? "firing"
      : "update";

/** Where a delivery says it comes from, for the allow-list (see github-allow.ts). */
export const githubSenderOf = (event: SecretScanningAlertEvent): GitHubSender => ({
  repository: event.repository.full_name,
  ...(event.organization ? { organization: event.organization.login } : {}),
  ...(event.installation ? { installationId: event.installation.id } : {}),
});

/**
 * GitHub signs the body alone, with no timestamp, so a captured delivery authenticates for ever: its signature is
 * remembered this long (GitHub itself redelivers deliveries of the past three days).
 */
export const GITHUB_REPLAY_SECONDS = 7 * 86400;

export const github: SourceAdapter<SecretScanningAlertEvent> = {
  name: "github",
  secretName: SecretNames.githubWebhookSecret,
  authenticate: (request, secret) =>
    verifyGitHubSignature(request.rawBody, request.headers["x-hub-signature-256"], secret)
      ? { ok: true }
      : {
          ok: false,
          code: "bad_signature",
          message: "X-Hub-Signature-256 is missing or does not match the body",
        },
  checkEventKind: (headers) => {
    const event = headers["x-github-event"];
    if (event === "ping") return { accept: false, status: 200, body: { status: "pong" } };
    if (event === undefined || event === "secret_scanning_alert") return { accept: true };
    return {
      accept: false,
      status: 422,
      message: `GitHub event "${event}" is not handled; send secret_scanning_alert`,
    };
  },
  deliveryId: (headers) => headers["x-github-delivery"],
  replayOf: (request) => {
    const signature = request.headers["x-hub-signature-256"];
    if (!signature) return undefined;
    return { signature, validUntil: Math.floor(request.now.getTime() / 1000) + GITHUB_REPLAY_SECONDS };
  },
  schema: SecretScanningAlertEvent,
  normalize(event, receipt) {
    const { alert, repository } = event;
    const provider = providerOfSecretType(alert.secret_type);
    const displayName = alert.secret_type_display_name ?? alert.secret_type;
    const type = provider ? "leaked_api_key" : "other";
    const canonical: CanonicalAlert = {
      id: alertIdFor(receipt, 0),
      source: "github",
      sourceIds: {
        repositoryId: String(repository.id),
        alertNumber: String(alert.number),
        ...(receipt.deliveryId ? { deliveryId: receipt.deliveryId } : {}),
      },
      type,
      severity: severityOf(event),
      status: statusOf(event.action),
      title: `${displayName} leaked in ${repository.full_name}`.slice(0, 300),
      occurredAt: alert.updated_at ?? alert.created_at,
      receivedAt: receipt.receivedAt,
      dedupKey: `github:${repository.id}:secret_scanning:${alert.number}`,
      entities: [
        { kind: "repository", id: repository.full_name, provider: "github" },
        ...(provider ? [{ kind: "provider_key" as const, id: alert.secret_type, provider }] : []),
      ],
      tags: tagsFor(type),
      details: {
        action: event.action,
        repository: repository.full_name,
        alertNumber: alert.number,
        htmlUrl: alert.html_url,
        secretType: alert.secret_type,
        secretTypeDisplayName: displayName,
        provider: provider ?? null,
        validity: alert.validity ?? "unknown",
        publiclyLeaked: alert.publicly_leaked ?? false,
      },
    };
    return [canonical];
  },
};
