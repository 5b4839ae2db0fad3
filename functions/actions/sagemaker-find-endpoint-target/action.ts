import { DescribeEndpointConfigCommand } from "@aws-sdk/client-sagemaker";
import * as z from "zod";
import { type ActionContext, defineAction } from "../contract.js";
import {
  DESCRIBE_ENDPOINT,
  ENDPOINT_CONFIG_RESOURCE,
  EndpointArn,
  EndpointConfigName,
  readEndpoint,
  retryWhileInTransition,
  sameName,
} from "../sagemaker-endpoint.js";

export const CHOSEN_BY =
  "Quell's inventory: the endpoint's known-good configuration (SageMaker keeps no history of an endpoint's configurations)";

/** One deployment Quell learnt from CloudTrail (triage's deployment history), newest first in the input. */
const Deployment = z.object({
  version: EndpointConfigName,
  at: z.iso.datetime(),
  by: z.string().max(2048),
  eventName: z.string().max(64),
  eventId: z.string().max(128),
});
type Deployment = z.infer<typeof Deployment>;

/**
 * From the history Quell learnt (never from an alert): the configuration that served before the current one went
 * live. Null, with why, when the history does not show the current configuration going live (it cannot tell what
 * came before) or shows nothing before it.
 */
function previousInHistory(
  history: readonly Deployment[],
  current: string,
): { target: Deployment; replacedAt: string } | { why: string } {
  const wentLive = history.findIndex((deployment) => sameName(deployment.version, current));
  if (wentLive === -1) {
    return {
      why: `Quell's deployment history (CloudTrail CreateEndpoint/UpdateEndpoint) does not show ${current} going live, so it cannot tell what served before it`,
    };
  }
  const target = history.slice(wentLive + 1).find((deployment) => !sameName(deployment.version, current));
  const replacedAt = history[wentLive]?.at ?? "";
  if (!target)
    return {
      why: `Quell's deployment history shows no configuration before ${current} went live at ${replacedAt}`,
    };
  return { target, replacedAt };
}

/** When the configuration was created, or null when SageMaker has no configuration by that name. */
async function configCreatedAt(context: ActionContext, name: string): Promise<Date | null> {
  try {
    const config = await context.aws
      .sagemaker()
      .send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
    return config.CreationTime ?? null;
  } catch (error) {
    // DescribeEndpointConfig has no not-found error of its own: SageMaker answers ValidationException.
    const missing =
      error instanceof Error &&
      error.name === "ValidationException" &&
      error.message.includes("Could not find endpoint configuration");
    if (missing) return null;
    throw error;
  }
}

/**
 * Find what a SageMaker endpoint would roll back to, for the approval card; writes nothing. SageMaker keeps no
 * history of the configurations an endpoint ran, so the target is the known-good configuration Quell's inventory
 * records for the endpoint (`knownGoodConfig`, never taken from an alert), once DescribeEndpointConfig shows it
 * still exists. `found: false` says why there is nothing to roll back to.
 */
export const findEndpointRollbackTarget = defineAction({
  name: "sagemaker.find-endpoint-rollback-target",
  description:
    "Read a SageMaker endpoint's configuration and status (DescribeEndpoint) and check that the known-good " +
    "configuration from Quell's inventory exists (DescribeEndpointConfig); writes nothing.",
  input: z.object({
    endpointArn: EndpointArn,
    knownGoodConfig: EndpointConfigName.nullable(),
    /** What triage learnt of the endpoint's deployments, newest first (older incidents: none). */
    deployments: z.array(Deployment).max(50).default([]),
  }),
  output: z.object({
    endpointName: z.string(),
    currentConfig: z.string(),
    endpointStatus: z.string(),
    targetConfig: z.string().nullable(),
    /** When the target configuration was created (ISO 8601); null when there is no target. */
    targetCreatedAt: z.iso.datetime().nullable(),
    chosenBy: z.string(),
    found: z.boolean(),
    why: z.string(),
  }),
  secrets: [],
  iam: [
    DESCRIBE_ENDPOINT,
    { actions: ["sagemaker:DescribeEndpointConfig"], resources: [ENDPOINT_CONFIG_RESOURCE] },
  ],
  reversible: false,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 30,
  async plan({ endpointArn, knownGoodConfig, deployments }, context) {
    const endpoint = await readEndpoint(context, endpointArn);
    // Mid-update, the configuration it names is the one it is leaving: judge it once the update has settled.
    retryWhileInTransition(
      endpoint,
      "until an update settles, Quell cannot tell which configuration it runs",
    );
    const read = {
      endpointName: endpoint.name,
      currentConfig: endpoint.configName,
      endpointStatus: endpoint.status,
    };
    const notFound = (why: string, chosenBy = CHOSEN_BY) => ({
      output: { ...read, chosenBy, targetConfig: null, targetCreatedAt: null, found: false, why },
      writes: [],
    });
    if (knownGoodConfig === null) {
      // The inventory names none: what served before the current configuration, as Quell learnt it.
      const previous = previousInHistory(deployments, endpoint.configName);
      if ("why" in previous) {
        return notFound(
          `Quell's inventory names no known-good configuration for this endpoint, and ${previous.why}`,
        );
      }
      const { target, replacedAt } = previous;
      const chosenBy = `Quell's deployment history (CloudTrail): ${target.version} went live at ${target.at} (${target.eventName} by ${target.by}) and served until ${replacedAt}`;
      const createdAt = await configCreatedAt(context, target.version);
      if (createdAt === null) {
        return notFound(
          `the configuration that served before, ${target.version}, no longer exists in SageMaker: nothing to roll back to`,
          chosenBy,
        );
      }
      return {
        output: {
          ...read,
          chosenBy,
          targetConfig: target.version,
          targetCreatedAt: createdAt.toISOString(),
          found: true,
          why: `roll ${endpoint.name} back from ${endpoint.configName} to ${target.version}, which served before it until ${replacedAt}`,
        },
        writes: [],
      };
    }
    if (sameName(knownGoodConfig, endpoint.configName)) {
      return notFound(
        `endpoint ${endpoint.name} is already on its known-good configuration ${endpoint.configName}`,
      );
    }
    const createdAt = await configCreatedAt(context, knownGoodConfig);
    if (createdAt === null) {
      return notFound(
        `the known-good endpoint configuration ${knownGoodConfig} no longer exists in SageMaker: nothing to roll back to`,
      );
    }
    const targetCreatedAt = createdAt.toISOString();
    return {
      output: {
        ...read,
        chosenBy: CHOSEN_BY,
        targetConfig: knownGoodConfig,
        targetCreatedAt,
        found: true,
        why: `roll ${endpoint.name} back from ${endpoint.configName} to its known-good configuration ${knownGoodConfig} (created ${targetCreatedAt})`,
      },
      writes: [],
    };
  },
});
