import { createRequire } from "node:module";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import { type IGrantable, type IPrincipal, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { EnvNames, type SecretName } from "../../../functions/shared/env.js";
import { LAMBDA_RUNTIME, nodejsFunctionBundling } from "../bundling.js";
import { acknowledge, X_RAY_WILDCARD_REASON } from "../nag.js";
import { fromRoot, repoRoot } from "../paths.js";
import { FailureQueue } from "./failure-queue.js";
import { grantSecretReads, type SecretLookup } from "./secret-store.js";

export type { SecretLookup } from "./secret-store.js";

export interface QuellFunctionProps {
  /** Handler file relative to the repository root; it must export `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly environment?: Readonly<Record<string, string>>;
  /** Secrets the function reads: it gets `<NAME>_PARAMETER` and read access to each, never the value. */
  readonly secrets?: readonly SecretName[];
  readonly secretLookup: SecretLookup;
  /** Invoked asynchronously (EventBridge): retries, then the stack's shared FailureQueue (on-failure destination). */
  readonly asyncInvoked?: boolean;
  readonly memorySize?: number;
}

const LOG_RETENTION = RetentionDays.THREE_MONTHS;

/** Runs at synth, before any bundling: Quell never falls back to Docker bundling. */
function assertLocalEsbuild(): void {
  try {
    createRequire(import.meta.url).resolve("esbuild");
  } catch {
    throw new Error("esbuild is not installed: run npm ci. Quell bundles with local esbuild, never Docker.");
  }
}

/**
 * Every Lambda default in one place: the latest Node.js runtime on arm64, an ESM bundle built by local
 * esbuild (infra/aws/bundling.ts), source maps, active X-Ray tracing, its own log group with retention, and
 * its own role that starts with only log writes and tracing. Grant through this construct (it is the grantable), not through `fn`.
 */
export class QuellFunction extends Construct implements IGrantable {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /**
   * Asynchronous functions only: where an invocation goes once Lambda's retries are spent (or it waited past the
   * maximum event age, e.g. throttled): the stack's one FailureQueue, as a Lambda invocation record. EventBridge
   * rules targeting the function use it as their dead-letter queue too.
   */
  readonly failureQueue?: IQueue;
  readonly grantPrincipal: IPrincipal;
  readonly secretNames: readonly SecretName[];

  constructor(scope: Construct, id: string, props: QuellFunctionProps) {
    super(scope, id);
    assertLocalEsbuild();

    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `Runtime role of ${props.description}`.slice(0, 1000),
    });
    this.grantPrincipal = this.role;

    this.logGroup = new LogGroup(this, "Logs", {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logGroup.grantWrite(this.role);

    this.secretNames = [...new Set(props.secrets ?? [])].sort();
    const secretEnvironment = grantSecretReads(this, this.secretNames, props.secretLookup);

    const failures = props.asyncInvoked ? FailureQueue.of(this) : undefined;
    this.failureQueue = failures?.queue;

    this.fn = new NodejsFunction(this, "Function", {
      entry: fromRoot(props.entry),
      handler: "handler",
      projectRoot: repoRoot,
      depsLockFilePath: fromRoot("package-lock.json"),
      description: props.description.slice(0, 256),
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        ...props.environment,
        ...secretEnvironment,
      },
      // An on-failure destination, not a dead-letter queue: its record names the function and carries the event
      // and the error, so one queue serves every function and redrive knows where each message goes back.
      ...(failures
        ? {
            onFailure: failures.onFailure,
            retryAttempts: 2,
            maxEventAge: Duration.hours(6),
          }
        : {}),
      bundling: nodejsFunctionBundling(),
    });

    acknowledge(this.role, "AwsSolutions-IAM5[Resource::*]", X_RAY_WILDCARD_REASON);
  }

  /**
   * The function publishes to `bus`: it gets the bus name in `QUELL_EVENT_BUS_NAME` and `events:PutEvents`
   * on that bus only. The variable and the grant always travel together.
   */
  publishesTo(bus: IEventBus): void {
    this.fn.addEnvironment(EnvNames.eventBusName, bus.eventBusName);
    bus.grantPutEventsTo(this);
  }
}
