import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { CanonicalAlert } from "../shared/alert.js";
import { type Deployment, type SubjectAsset, UNLISTED_ASSET } from "../shared/incident.js";
import type { DocumentClient } from "../shared/store.js";
import { ENDPOINT_DEPLOYMENT_SIGNAL } from "../sources/aws/sagemaker.js";
import type { TriageDeps } from "./core.js";
import { subjectAssetOf } from "./enrich.js";

/** How many of an asset's deployments a playbook is given (newest first), and how long one is remembered. */
export const DEPLOYMENTS_KEPT = 20;
const REMEMBERED_SECONDS = 400 * 86400;

const partitionOf = (assetId: string) => `DEPLOY#${assetId}`;

/** Only the SageMaker CloudTrail adapter says so: a webhook's `details` could carry the same words. */
export const isDeploymentRecord = (alert: CanonicalAlert): boolean =>
  alert.source === "aws.sagemaker" && alert.details.signal === ENDPOINT_DEPLOYMENT_SIGNAL;

/** The deployment a successful CreateEndpoint/UpdateEndpoint record reports, or why it teaches nothing. */
export function deploymentOf(
  alert: CanonicalAlert,
): { deployment: Deployment; assetId: string } | { skip: string } {
  const { assetId, endpointConfigName, eventName, eventId, deployedBy, succeeded } = alert.details;
  if (succeeded !== true)
    return {
      skip: `${String(eventName)} was refused (${String(alert.details.errorCode)}): nothing went live`,
    };
  if (typeof assetId !== "string" || typeof endpointConfigName !== "string")
    return { skip: "the call names no endpoint Quell can identify by ARN" };
  return {
    assetId,
    deployment: {
      version: endpointConfigName,
      at: alert.occurredAt,
      by: String(deployedBy),
      eventName: String(eventName),
      eventId: String(eventId),
    },
  };
}

/** Remember a deployment (idempotent: a redelivered CloudTrail event writes the same item). */
export async function rememberDeployment(
  db: DocumentClient,
  tableName: string,
  assetId: string,
  deployment: Deployment,
  nowSeconds: number,
): Promise<void> {
  await db.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        pk: partitionOf(assetId),
        sk: `${deployment.at}#${deployment.eventId}`,
        ...deployment,
        expiresAt: nowSeconds + REMEMBERED_SECONDS,
      },
    }),
  );
}

/** An asset's newest deployments, newest first (at most DEPLOYMENTS_KEPT). */
export async function recentDeployments(
  db: DocumentClient,
  tableName: string,
  assetId: string,
): Promise<Deployment[]> {
  const page = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": partitionOf(assetId) },
      ScanIndexForward: false,
      Limit: DEPLOYMENTS_KEPT,
    }),
  );
  return (page.Items ?? []).map((item) => ({
    version: String(item.version),
    at: String(item.at),
    by: String(item.by),
    eventName: String(item.eventName),
    eventId: String(item.eventId),
  }));
}

/**
 * The asset an alert is about, as a playbook gets it (`$.asset`) and its incident keeps it: the inventory's entry
 * with what Quell learnt of its deployments (SageMaker endpoints). Undefined when the inventory lists it not and
 * nothing was learnt of it.
 */
export async function playbookAssetOf(
  alert: CanonicalAlert,
  deps: Pick<TriageDeps, "inventory" | "triageStore">,
): Promise<SubjectAsset | undefined> {
  const listed = subjectAssetOf(alert, deps.inventory);
  const id = alert.details.assetId;
  const deployments =
    typeof id === "string" && /^arn:aws[a-z-]*:sagemaker:/.test(id)
      ? await deps.triageStore.deploymentsOf(id)
      : [];
  if (!listed && deployments.length === 0) return undefined;
  return { ...(listed ?? UNLISTED_ASSET), deployments };
}

/**
 * Learn a deployment record into its endpoint's history; returns why it opens nothing (kept as unmatched), in the
 * words the unmatched list shows.
 */
export async function learnDeployment(alert: CanonicalAlert, deps: TriageDeps): Promise<string> {
  const learnt = deploymentOf(alert);
  if ("skip" in learnt) return `deployment record not learnt: ${learnt.skip}`;
  await deps.triageStore.recordDeployment(learnt.assetId, learnt.deployment);
  const { version, at, by } = learnt.deployment;
  return `deployment history of ${learnt.assetId}: ${version} went live at ${at} (by ${by}); kept for rollbacks, opens no incident`;
}
