import * as z from "zod";

/**
 * The event Step Functions puts on the account's default bus when a Standard execution's status changes (AWS
 * Step Functions Developer Guide, "EventBridge for Step Functions execution status changes"). The execution watch
 * takes those of Quell's machines that ended outside their own failure handling.
 */
export const EXECUTION_STATUS_CHANGE = {
  source: "aws.states",
  detailType: "Step Functions Execution Status Change",
} as const;

/** The statuses of an execution that ended without succeeding: its playbook did not finish. */
export const ENDED_UNFINISHED = ["FAILED", "TIMED_OUT", "ABORTED"] as const;
export type EndedUnfinished = (typeof ENDED_UNFINISHED)[number];

/** Execution and state machine names: 1 to 80 of letters, digits, `-` and `_` (what Quell names them). */
const NAME = /^[\w-]{1,80}$/;

/**
 * What the watch reads of the event: the envelope's source and detail-type, and the execution in `detail`.
 * `input` is left out when input and output together pass EventBridge's size limit (`inputDetails.included` is
 * false); the watch then asks DescribeExecution.
 */
export const ExecutionStatusChange = z.object({
  source: z.literal(EXECUTION_STATUS_CHANGE.source),
  "detail-type": z.literal(EXECUTION_STATUS_CHANGE.detailType),
  detail: z.object({
    executionArn: z.string().regex(/^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:[\w-]{1,80}:[\w-]{1,80}$/),
    stateMachineArn: z.string().regex(/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]{1,80}$/),
    name: z.string().regex(NAME, "an execution name of 1 to 80 letters, digits, - and _"),
    status: z.enum(ENDED_UNFINISHED),
    input: z.string().nullish(),
    inputDetails: z.object({ included: z.boolean() }).nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChange = z.infer<typeof ExecutionStatusChange>;

/** What the watch needs of the execution's input: the incident (and, for an undo, its step). */
export const WatchedInput = z.object({
  incidentId: z.string().regex(NAME, "an incident id of 1 to 80 letters, digits, - and _"),
  step: z.string().min(1).max(80).optional(),
  dryRun: z.boolean().optional(),
});
export type WatchedInput = z.infer<typeof WatchedInput>;
