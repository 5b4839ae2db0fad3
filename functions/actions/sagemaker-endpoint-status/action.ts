import * as z from "zod";
import { defineAction } from "../contract.js";
import {
  DESCRIBE_ENDPOINT,
  EndpointArn,
  EndpointConfigName,
  type EndpointState,
  endpointText,
  readEndpoint,
  sameName,
} from "../sagemaker-endpoint.js";

const SETTLED = ["in_service", "waiting", "failed", "timed_out"] as const;
type Settled = (typeof SETTLED)[number];

/** Statuses from which the endpoint will not reach the target configuration by itself. */
const ENDED = new Set(["Failed", "UpdateRollbackFailed", "Deleting"]);

/**
 * Where an update toward `targetConfig` stands. InService on another configuration is an update SageMaker rolled
 * back (its FailureReason says why); time runs out only for an update that has not settled either way.
 */
function settledOf(endpoint: EndpointState, targetConfig: string, timedOut: boolean): Settled {
  const onTarget = sameName(endpoint.configName, targetConfig);
  if (endpoint.status === "InService") return onTarget ? "in_service" : "failed";
  if (ENDED.has(endpoint.status)) return "failed";
  return timedOut ? "timed_out" : "waiting";
}

/**
 * One look at an endpoint update, for the playbook's Step Functions wait loop (Wait state, this task, Choice on
 * `settled`): a Lambda never sleeps waiting for SageMaker. `since` is when the update was requested (the rollback's
 * `requestedAt`); past `maxWaitSeconds` an update still under way is `timed_out`. Writes nothing.
 */
export const endpointStatus = defineAction({
  name: "sagemaker.endpoint-status",
  description:
    "Read whether a SageMaker endpoint update reached its target configuration (DescribeEndpoint): in_service, " +
    "waiting, failed or timed_out; writes nothing.",
  input: z.object({
    endpointArn: EndpointArn,
    targetConfig: EndpointConfigName,
    since: z.iso.datetime(),
    maxWaitSeconds: z.number().int().min(60).max(21_600),
  }),
  output: z.object({
    endpointStatus: z.string(),
    endpointConfigName: z.string(),
    settled: z.enum(SETTLED),
    observed: z.string(),
  }),
  secrets: [],
  iam: [DESCRIBE_ENDPOINT],
  reversible: true,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 30,
  async plan({ endpointArn, targetConfig, since, maxWaitSeconds }, context) {
    const endpoint = await readEndpoint(context, endpointArn);
    const waitedSeconds = (Date.now() - Date.parse(since)) / 1000;
    const settled = settledOf(endpoint, targetConfig, waitedSeconds > maxWaitSeconds);
    const waited = `${Math.max(0, Math.floor(waitedSeconds))} s since ${since}`;
    return {
      output: {
        endpointStatus: endpoint.status,
        endpointConfigName: endpoint.configName,
        settled,
        observed: `${endpointText(endpoint)} (${waited}, target ${targetConfig})`,
      },
      writes: [],
    };
  },
});
