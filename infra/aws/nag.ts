import { type IResolvable, Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * Acknowledge one cdk-nag finding on a construct (and its children). Every call carries a specific reason;
 * there is no blanket suppression anywhere in Quell's infrastructure.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Flatten a resolved CloudFormation value the way cdk-nag names findings (`Ref` -> `<Name>`, joins). */
function flatten(value: unknown): string {
  if (typeof value === "string") return value.replace(/\$\{/g, "<").replace(/}/g, ">");
  if (value && typeof value === "object") {
    const node = value as Record<string, unknown>;
    const join = node["Fn::Join"] as [string, unknown[]] | undefined;
    if (join) return join[1].map(flatten).join(join[0]);
    if ("Ref" in node) return `<${flatten(node.Ref)}>`;
    const getAtt = node["Fn::GetAtt"] as [string, string] | undefined;
    if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
  }
  return JSON.stringify(value);
}

/** The AwsSolutions-IAM5 finding id for a wildcard resource ARN as it appears in `scope`'s stack. */
export function wildcardResourceFinding(scope: IConstruct, resourceArn: string | IResolvable): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resourceArn))}]`;
}

export const X_RAY_WILDCARD_REASON =
  "Resource * only in the statement CDK adds for active X-Ray tracing (xray:PutTraceSegments, " +
  "xray:PutTelemetryRecords): X-Ray has no resource-level permissions for these actions. " +
  "test/infra checks that no other statement in this role uses a wildcard resource.";
