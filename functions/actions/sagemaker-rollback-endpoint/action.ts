import * as z from "zod";
import { TargetChanged } from "../../shared/errors.js";
import { defineAction } from "../contract.js";
import {
  DESCRIBE_ENDPOINT,
  ENDPOINT_CONFIG_RESOURCE,
  ENDPOINT_RESOURCE,
  EndpointArn,
  EndpointConfigName,
  type EndpointState,
  endpointText,
  readEndpoint,
  retryWhileInTransition,
  sameName,
  updateEndpoint,
} from "../sagemaker-endpoint.js";

/** SageMaker takes an UpdateEndpoint only from an InService endpoint: refuse, writing nothing, before asking. */
function requireInService(endpoint: EndpointState): void {
  if (endpoint.status === "InService") return;
  retryWhileInTransition(
    endpoint,
    "SageMaker takes no UpdateEndpoint until it is InService; Quell writes nothing",
  );
  throw new TargetChanged(
    `${endpointText(endpoint)}: SageMaker cannot update it (a Failed endpoint can only be deleted); Quell writes nothing`,
  );
}

/** Quell's own update toward the target already under way (a retry after SageMaker took it but the answer was lost). */
const updatingTo = (endpoint: EndpointState, config: string) =>
  endpoint.status === "Updating" &&
  endpoint.pendingConfig !== null &&
  sameName(endpoint.pendingConfig, config);

/**
 * Roll a SageMaker endpoint back to another endpoint configuration (UpdateEndpoint, variant instance counts and
 * weights kept). The endpoint must be InService on `expectedConfig`, the configuration the approval card showed:
 * on any other, someone changed it since and nothing is written (`TargetChanged`). The update then runs in
 * SageMaker for minutes; the read-back accepts it under way, and the playbook waits for it with
 * `sagemaker.endpoint-status` (its wait loop), from `requestedAt`.
 *
 * Reversible: undo updates the endpoint back to the configuration it replaced, once it reads the endpoint
 * InService on the one Quell put; on any other, or mid-update, it refuses, writing nothing.
 */
export const rollbackEndpoint = defineAction({
  name: "sagemaker.rollback-endpoint",
  description:
    "Roll a SageMaker endpoint back to a known-good endpoint configuration (sagemaker:UpdateEndpoint with " +
    "RetainAllVariantProperties), when it is InService on the configuration the approval was for.",
  input: z.object({
    endpointArn: EndpointArn,
    expectedConfig: EndpointConfigName,
    targetConfig: EndpointConfigName,
  }),
  output: z.object({
    endpointName: z.string(),
    /** The configuration the endpoint was on when Quell read it (what undo puts back). */
    replacedConfig: z.string(),
    targetConfig: z.string(),
    /** When the plan read the endpoint (ISO 8601): where the playbook's wait loop starts counting. */
    requestedAt: z.iso.datetime(),
  }),
  secrets: [],
  iam: [
    DESCRIBE_ENDPOINT,
    // SageMaker authorizes UpdateEndpoint on the endpoint and on the endpoint configuration it deploys.
    { actions: ["sagemaker:UpdateEndpoint"], resources: [ENDPOINT_RESOURCE, ENDPOINT_CONFIG_RESOURCE] },
  ],
  reversible: true,
  // Not low: every request the endpoint serves moves to another model (and minutes of SageMaker deployment).
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 30,
  async plan({ endpointArn, expectedConfig, targetConfig }, context) {
    const endpoint = await readEndpoint(context, endpointArn);
    const output = {
      endpointName: endpoint.name,
      replacedConfig: endpoint.configName,
      targetConfig,
      requestedAt: new Date().toISOString(),
    };
    if (updatingTo(endpoint, targetConfig) && sameName(endpoint.configName, expectedConfig)) {
      return { output, writes: [] };
    }
    requireInService(endpoint);
    if (sameName(endpoint.configName, targetConfig)) return { output, writes: [] };
    if (!sameName(endpoint.configName, expectedConfig)) {
      throw new TargetChanged(
        `${endpointText(endpoint)}, not the ${expectedConfig} the approval was for: someone changed it since, ` +
          "and Quell does not overwrite that",
      );
    }
    return { output, writes: [updateEndpoint(context, endpoint.name, targetConfig)] };
  },
  async verify({ endpointArn, targetConfig }, context) {
    const endpoint = await readEndpoint(context, endpointArn);
    const done = endpoint.status === "InService" && sameName(endpoint.configName, targetConfig);
    return { verified: done || updatingTo(endpoint, targetConfig), observed: endpointText(endpoint) };
  },
  async undo({ endpointArn }, context, { output }) {
    const endpoint = await readEndpoint(context, endpointArn);
    const inService = endpoint.status === "InService";
    // Someone already put it back: nothing left to restore.
    if (inService && sameName(endpoint.configName, output.replacedConfig)) return [];
    if (!inService || !sameName(endpoint.configName, output.targetConfig)) {
      throw new TargetChanged(
        `${endpointText(endpoint)}, not InService on the ${output.targetConfig} Quell rolled it back to: ` +
          "someone changed it since, or the update has not settled; Quell writes nothing (restore by hand, or undo " +
          "again once it is InService)",
      );
    }
    return [updateEndpoint(context, endpoint.name, output.replacedConfig)];
  },
});
