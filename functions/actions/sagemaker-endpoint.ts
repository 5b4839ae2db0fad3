import {
  DescribeEndpointCommand,
  UpdateEndpointCommand,
  type UpdateEndpointInput,
} from "@aws-sdk/client-sagemaker";
import * as z from "zod";
import { TransientError, ValidationError } from "../shared/errors.js";
import type { ActionContext, IamNeed, Write } from "./contract.js";

/**
 * What the SageMaker endpoint actions share: the endpoint ARN they take, the DescribeEndpoint read they all start
 * from, and the one write (UpdateEndpoint) that rolls an endpoint to another configuration and back.
 */

/** An endpoint or endpoint configuration name (SageMaker's pattern, 63 characters at most). */
const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * `arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>`, the name in lower case as SageMaker writes it in
 * ARNs. Nothing else: no wildcards, paths or other resource types.
 */
const ENDPOINT_ARN =
  /^arn:aws(?:-[a-z]+)*:sagemaker:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:endpoint\/([a-z0-9](?:-*[a-z0-9]){0,62})$/;

export const EndpointArn = z.string().max(2048).regex(ENDPOINT_ARN, "a SageMaker endpoint ARN");
export const EndpointConfigName = z.string().regex(NAME, "a SageMaker endpoint configuration name");

/** The endpoint name an (already validated) endpoint ARN names. */
export const endpointNameOf = (endpointArn: string): string => ENDPOINT_ARN.exec(endpointArn)?.[1] ?? "";

/** Whether two endpoint or configuration names are the same: SageMaker names ignore case (its ARNs lower it). */
export const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The IAM resources: SageMaker authorizes UpdateEndpoint on the endpoint and on the configuration it deploys. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
export const ENDPOINT_RESOURCE = "arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/*";
// biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
export const ENDPOINT_CONFIG_RESOURCE = "arn:${Partition}:sagemaker:${Region}:${Account}:endpoint-config/*";
export const DESCRIBE_ENDPOINT: IamNeed = {
  actions: ["sagemaker:DescribeEndpoint"],
  resources: [ENDPOINT_RESOURCE],
};

/** What Quell reads of an endpoint. */
export interface EndpointState {
  readonly name: string;
  /** The configuration serving now (during an update, still the old one). */
  readonly configName: string;
  readonly status: string;
  readonly failureReason: string | null;
  /** The configuration an update in progress deploys (PendingDeploymentSummary); null when none is. */
  readonly pendingConfig: string | null;
}

/**
 * DescribeEndpoint for the endpoint the ARN names. The client's account and region must be the ARN's: the answer's
 * EndpointArn is compared with it, so an ARN of another account or region is refused rather than read elsewhere.
 */
export async function readEndpoint(context: ActionContext, endpointArn: string): Promise<EndpointState> {
  const endpoint = await context.aws
    .sagemaker()
    .send(new DescribeEndpointCommand({ EndpointName: endpointNameOf(endpointArn) }));
  if (endpoint.EndpointArn !== endpointArn) {
    throw new ValidationError(
      `SageMaker answered for ${endpoint.EndpointArn ?? "an endpoint without an ARN"}, not ${endpointArn}: ` +
        "Quell's SageMaker client is in another account or region than the ARN",
    );
  }
  return {
    name: endpoint.EndpointName ?? endpointNameOf(endpointArn),
    configName: endpoint.EndpointConfigName ?? "",
    status: endpoint.EndpointStatus ?? "unknown",
    failureReason: endpoint.FailureReason ?? null,
    pendingConfig: endpoint.PendingDeploymentSummary?.EndpointConfigName ?? null,
  };
}

/** An endpoint in a few words, for read-back observations and refusals. */
export function endpointText({
  name,
  configName,
  status,
  failureReason,
  pendingConfig,
}: EndpointState): string {
  const pending = pendingConfig ? ` (updating to ${pendingConfig})` : "";
  const failure = failureReason ? `; failure reason: ${failureReason}` : "";
  return `endpoint ${name} is ${status} on ${configName}${pending}${failure}`;
}

/**
 * UpdateEndpoint to `configName`, keeping the variants' instance counts and weights as they are now (autoscaling's
 * or a human's) instead of the configuration's initial ones: a rollback changes the model, not the capacity.
 */
export function updateEndpoint(context: ActionContext, endpointName: string, configName: string): Write {
  const input: UpdateEndpointInput = {
    EndpointName: endpointName,
    EndpointConfigName: configName,
    RetainAllVariantProperties: true,
  };
  return {
    description: { kind: "aws", service: "sagemaker", operation: "UpdateEndpoint", input },
    send: () => context.aws.sagemaker().send(new UpdateEndpointCommand(input)),
  };
}

/** Statuses an endpoint leaves by itself: the step is worth retrying. Any other but InService needs a human. */
const IN_TRANSITION = new Set(["Creating", "Updating", "SystemUpdating", "RollingBack"]);

/** An endpoint on its way somewhere (an update under way): a TransientError, so the playbook retries the step. */
export function retryWhileInTransition(endpoint: EndpointState, why: string): void {
  if (IN_TRANSITION.has(endpoint.status))
    throw new TransientError(`${endpointText(endpoint)}: ${why}, and tries again`);
}
