import { Duration, Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IDestination } from "aws-cdk-lib/aws-lambda";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct, type IConstruct } from "constructs";
import { acknowledge } from "../nag.js";

/**
 * How long a failed delivery is kept: SQS's maximum. The self-monitoring age alarm fires long before this, so
 * someone redrives it (`npm run quell -- redrive --aws`) before SQS deletes it.
 */
export const FAILURE_RETENTION = Duration.days(14);

const ID = "FailureQueue";

/**
 * The one queue of a stack where every delivery Quell gave up on waits for a human: each asynchronously invoked
 * function's failed invocations (its on-failure destination: a Lambda invocation record naming the function,
 * carrying the original event and the error) and the events an EventBridge rule could not deliver to its target
 * (the target's dead-letter queue: the event as the body, RULE_ARN and TARGET_ARN as attributes). One queue, so
 * one pair of alarms watches every function (SelfMonitoring); each message says where it goes back to, so one
 * redrive serves them all (infra/local/aws-redrive.ts).
 *
 * Created by the first construct of the stack that asks for it (`FailureQueue.of`), at the stack's root.
 */
export class FailureQueue extends Construct {
  readonly queue: Queue;

  /** The stack's failure queue, created on first use. */
  static of(scope: IConstruct): FailureQueue {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(ID);
    if (existing instanceof FailureQueue) return existing;
    return new FailureQueue(stack, ID);
  }

  /** The stack's failure queue if anything asked for one (nothing asynchronous: none). */
  static find(scope: IConstruct): FailureQueue | undefined {
    const existing = Stack.of(scope).node.tryFindChild(ID);
    return existing instanceof FailureQueue ? existing : undefined;
  }

  /**
   * The queue as a function's on-failure destination. Lambda sends the record with the function's own role, which
   * gets `sqs:SendMessage` on this queue only (SqsDestination would add GetQueueAttributes and GetQueueUrl too).
   */
  get onFailure(): IDestination {
    const queueArn = this.queue.queueArn;
    return {
      bind: (_scope, fn) => {
        fn.addToRolePolicy(new PolicyStatement({ actions: ["sqs:SendMessage"], resources: [queueArn] }));
        return { destination: queueArn };
      },
    };
  }

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.queue = new Queue(this, "Queue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: FAILURE_RETENTION,
    });
    acknowledge(
      this.queue,
      "AwsSolutions-SQS3",
      "This queue is itself the dead-letter store: the on-failure destination of every asynchronously invoked " +
        "function and the DeadLetterConfig of every EventBridge target. cdk-nag recognises a dead-letter queue " +
        "only through a function's DeadLetterConfig or a queue's RedrivePolicy, not through Lambda destinations.",
    );
  }
}
