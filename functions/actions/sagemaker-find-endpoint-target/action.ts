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
  input: z.object({ endpointArn: EndpointArn, knownGoodConfig: EndpointConfigName.nullable() }),
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
  async plan({ endpointArn, knownGoodConfig }, context) {
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
      chosenBy: CHOSEN_BY,
    };
    const notFound = (why: string) => ({
      output: { ...read, targetConfig: null, targetCreatedAt: null, found: false, why },
      writes: [],
    });
    if (knownGoodConfig === null) {
      return notFound("no known-good endpoint configuration: Quell's inventory names none for this endpoint");
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
        targetConfig: knownGoodConfig,
        targetCreatedAt,
        found: true,
        why: `roll ${endpoint.name} back from ${endpoint.configName} to its known-good configuration ${knownGoodConfig} (created ${targetCreatedAt})`,
      },
      writes: [],
    };
  },
});
