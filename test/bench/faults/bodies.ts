/**
 * The bytes each alerting tool sends for a planned delivery, from the repository's own samples with the run's
 * identifiers and times put in. Times are relative to the run's start, so a redelivery is the same payload.
 */
import { readFileSync } from "node:fs";
import { webhookBody } from "../../../infra/local/standins/scenario.js";
import type { Delivery } from "./plan.js";
import type { Subject } from "./subjects.js";

const GUARDDUTY_SAMPLE = new URL(
  "../../fixtures/aws/guardduty/ai-anomalous-model-invocation-iamuser-key.json",
  import.meta.url,
);
const GITHUB_SAMPLE = JSON.parse(webhookBody()) as Record<string, unknown>;
const GUARDDUTY = JSON.parse(readFileSync(GUARDDUTY_SAMPLE, "utf8")) as Record<string, unknown>;

/** The repository id every GitHub delivery names (the sample's), which GitHub's dedup keys carry. */
export const GITHUB_REPOSITORY_ID = (GITHUB_SAMPLE.repository as { id: number }).id;

/** GitHub writes times without milliseconds. */
const githubTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const iso = (ms: number) => new Date(ms).toISOString();

export type Request =
  | { readonly route: "github"; readonly body: string; readonly deliveryId: string }
  | { readonly route: "generic" | "alertmanager" | "events"; readonly body: string };

export function requestFor(subject: Subject, delivery: Delivery, base: number): Request {
  const at = (seconds: number) => base + seconds * 1000;
  switch (delivery.kind) {
    case "github": {
      if (subject.kind !== "leaked-key") throw new Error("a GitHub delivery needs a leaked-key subject");
      const body = structuredClone(GITHUB_SAMPLE) as { action: string; alert: Record<string, unknown> };
      const number = subject.alertNumber;
      body.action = delivery.action;
      Object.assign(body.alert, {
        number,
        url: String(body.alert.url).replace(/\/\d+$/, `/${number}`),
        html_url: String(body.alert.html_url).replace(/\/\d+$/, `/${number}`),
        locations_url: String(body.alert.locations_url).replace(/\/\d+\/locations$/, `/${number}/locations`),
        validity: subject.validity,
        created_at: githubTime(at(-120)),
        updated_at: githubTime(at(delivery.sourceAt)),
        ...(delivery.action === "resolved"
          ? {
              resolution: "revoked",
              resolved_at: githubTime(at(delivery.sourceAt)),
              resolution_comment: "rotated",
            }
          : {}),
      });
      return { route: "github", body: JSON.stringify(body), deliveryId: delivery.deliveryId };
    }
    case "generic": {
      if (subject.kind !== "end-user") throw new Error("a generic delivery needs an end-user subject");
      const body = {
        schemaVersion: "1",
        id: delivery.emitterId,
        source: "custom:faults-bench",
        type: "jailbreak",
        severity: "high",
        status: delivery.status,
        title: `Repeated jailbreak attempts by ${subject.userId} in hr-assistant`,
        occurredAt: iso(at(delivery.occurredAt)),
        principal: { type: "end_user", id: subject.userId, provider: "app" },
        asset: { kind: "application", id: "hr-assistant", provider: "app", environment: "prod" },
        evidence: { detector: "faults-bench", attempts: 11 },
        dedupKey: subject.dedupKey,
      };
      return { route: "generic", body: JSON.stringify(body) };
    }
    case "alertmanager": {
      if (subject.kind !== "ops-alert")
        throw new Error("an Alertmanager delivery needs an ops-alert subject");
      const labels = {
        alertname: "VLLMTokenRateAnomaly",
        severity: "critical",
        tenant: subject.tenant,
        model_name: "meta-llama/Meta-Llama-3-70B-Instruct",
      };
      const alert = {
        status: delivery.status,
        labels,
        annotations: { description: `Generation token rate for tenant ${subject.tenant} is 4x yesterday's.` },
        startsAt: iso(at(delivery.startsAt)),
        endsAt: delivery.status === "resolved" ? iso(at(-10)) : "0001-01-01T00:00:00Z",
        fingerprint: subject.fingerprint,
      };
      const body = {
        version: "4",
        receiver: "quell",
        status: delivery.status,
        groupKey: `{}:{alertname="VLLMTokenRateAnomaly", tenant="${subject.tenant}"}`,
        groupLabels: { alertname: "VLLMTokenRateAnomaly" },
        commonLabels: labels,
        alerts: [alert],
      };
      return { route: "alertmanager", body: JSON.stringify(body) };
    }
    case "guardduty": {
      if (subject.kind !== "llmjacking") throw new Error("a GuardDuty delivery needs an llmjacking subject");
      const event = structuredClone(GUARDDUTY) as Record<string, unknown> & {
        detail: Record<string, unknown> & {
          resource: { accessKeyDetails: Record<string, unknown> };
          service: Record<string, unknown>;
        };
      };
      event.id = delivery.eventId;
      event.time = githubTime(at(-5));
      const { detail } = event;
      detail.id = subject.findingId;
      detail.arn = String(detail.arn).replace(/finding\/[0-9a-f]+$/, `finding/${subject.findingId}`);
      detail.createdAt = iso(at(-30));
      detail.updatedAt = iso(at(-30));
      detail.title = `Anomalous Amazon Bedrock model invocations were made by IAM user ${subject.userName}.`;
      detail.description = `Models were invoked by IAM user ${subject.userName} with access key ${subject.accessKeyId}.`;
      Object.assign(detail.resource.accessKeyDetails, {
        accessKeyId: subject.accessKeyId,
        userName: subject.userName,
      });
      Object.assign(detail.service, { eventFirstSeen: iso(at(-600)), eventLastSeen: iso(at(-60)) });
      return { route: "events", body: JSON.stringify(event) };
    }
  }
}
