import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { Context } from "aws-lambda";
import * as z from "zod";
import { actionSessionName } from "../shared/action-session.js";
import { EnvNames, envSchemas, readEnv } from "../shared/env.js";
import {
  ApprovalNotRecorded,
  AutoApprovalRefused,
  QuellPaused,
  TransientError,
  toQuellError,
} from "../shared/errors.js";
import { systemClock } from "../shared/ids.js";
import { createTools, errorAttributes, instrumented } from "../shared/powertools.js";
import { createDocumentClient, IncidentStore } from "../shared/store.js";
import { type GivenApproval, requireRecordedApproval } from "./approval-gate.js";
import type { AwsClientClasses } from "./aws-clients.js";
import { type AnyAction, isAutoApprovable, isContainment, writes } from "./contract.js";
import { timelineJournal, writeLabel } from "./journal.js";
import { type ActionResult, createActionContext, runAction, runUndo } from "./run.js";

/** What a playbook's action task (or the undo machine) sends; compiled by playbooks/compile.ts and undo.ts. */
export const ActionEvent = z.object({
  incidentId: z.string().min(1),
  step: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  /** In `undo` mode, the output the applied run recorded (what it replaced, for actions that need it). */
  output: z.unknown().optional(),
  /** `undo` restores what the applied run of this step changed. */
  mode: z.enum(["apply", "undo"]).default("apply"),
  /** This execution is a rehearsal (`/quell dry-run`); the deployment-wide dry run applies either way. */
  dryRun: z.boolean().default(false),
  /** The step runs under the `auto` policy, with no human first: refused unless the contract allows it. */
  approval: z.literal("auto").optional(),
  /**
   * The approval step whose `onApprove` this step is: the action runs only when the store records that approval
   * as given (approval-gate.ts). Absent for steps behind no approval, and in `undo` mode (its own claim).
   */
  approvalStep: z.string().min(1).optional(),
});
export type ActionEvent = z.infer<typeof ActionEvent>;

/**
 * The Lambda handler of one action. Idempotent per (incident, step): a retried invocation returns the
 * first result instead of sending the writes again. Behind an approval, it runs only when the approval is
 * recorded as given; every write it sends is journaled on the incident's timeline first. `clients` are the AWS
 * SDK client classes the action calls (none for an action that calls only HTTP APIs): each action's bundle
 * then carries its own clients only.
 */
export function createActionHandler(action: AnyAction, clients: AwsClientClasses = {}) {
  const env = readEnv({
    [EnvNames.dryRun]: envSchemas.dryRun,
    [EnvNames.idempotencyTableName]: envSchemas.tableName,
    [EnvNames.tableName]: envSchemas.tableName,
    [EnvNames.actionRoles]: envSchemas.actionRoles,
  });
  const dryRun = env[EnvNames.dryRun];
  const roleArn = env[EnvNames.actionRoles][action.name];
  const tools = createTools(`action-${action.name}`);
  // Read-only: nothing to hold while paused, nothing a retry could send twice (see the end).
  const readOnly = !writes(action);
  const { logger, metrics } = tools;
  const store = new IncidentStore(createDocumentClient(), env[EnvNames.tableName], systemClock);
  // Per invocation: the role session is named after the incident this run serves, the journal writes to it.
  const contextFor = ({ incidentId, step, mode }: ActionEvent, approval: GivenApproval | undefined) =>
    createActionContext(
      process.env,
      timelineJournal(
        store,
        { incidentId, step, action: action.name, mode, approval },
        {
          clock: systemClock,
          onUnrecorded: (error, write) =>
            logger.error("write outcome not recorded", {
              error: errorAttributes(error),
              write: writeLabel(write),
            }),
        },
      ),
      roleArn ? { roleArn, sessionName: actionSessionName(incidentId) } : undefined,
      clients,
    );
  const shadowIncident = async (incidentId: string) =>
    (
      await store.getIncident(incidentId).catch((error: unknown) => {
        throw new TransientError(`${action.name} could not read incident ${incidentId}: ${String(error)}`, {
          cause: error,
        });
      })
    )?.shadow === true;
  /** While Quell is paused nothing is written: the step is recorded as held (once per pause) and fails, to retry. */
  const holdWhilePaused = async ({ incidentId, step, mode }: ActionEvent) => {
    const pause = await store.pause.state();
    if (!pause.paused) return;
    const why = `Quell was paused by ${pause.by ?? "someone"} at ${pause.at ?? "?"}${pause.reason ? ` (${pause.reason})` : ""}`;
    if (await store.pause.markHeld(incidentId, `${step}.${mode}`, pause)) {
      await store.appendTimeline(incidentId, {
        kind: "action_paused",
        summary: `${action.name} at ${step} held its writes: ${why}; it goes on when Quell is resumed`,
        detail: { step, action: action.name, mode, pausedBy: pause.by, pausedAt: pause.at },
      });
    }
    throw new QuellPaused(`${action.name} sent nothing: ${why}. /quell resume lets it go on.`);
  };
  const run = async (event: unknown): Promise<ActionResult> => {
    const parsed = ActionEvent.parse(event);
    logger.appendKeys({ incidentId: parsed.incidentId, step: parsed.step, mode: parsed.mode });
    try {
      if (parsed.approval === "auto" && !isAutoApprovable(action)) {
        throw new AutoApprovalRefused(
          `${action.name} may not run without a human: only reversible, low-blast-radius actions may (auto policy)`,
        );
      }
      // Plan-only: the deployment's dry run, this execution's, or a shadow incident's (checked here again, whatever
      // the execution says, for a step that writes or is gated: a shadow incident never sends a write).
      const checksShadow = !readOnly || parsed.approvalStep !== undefined;
      const planOnly = dryRun || parsed.dryRun || (checksShadow && (await shadowIncident(parsed.incidentId)));
      // An undo's own authorisation is its claim on the applied run (action-runs.ts), not the approval.
      const approval =
        parsed.mode === "undo"
          ? undefined
          : await requireRecordedApproval({ ...parsed, planOnly }, store, action.name);
      const options = { dryRun: planOnly, context: contextFor(parsed, approval) };
      if (!options.dryRun && !readOnly) await holdWhilePaused(parsed);
      const result =
        parsed.mode === "undo"
          ? await runUndo(action, { input: parsed.input, output: parsed.output }, options)
          : await runAction(action, parsed.input, options);
      if (result.mode === "applied" && result.writes.length > 0 && isContainment(action)) {
        // Counted against the containment budget; the write went out either way, so a failure to count is logged.
        await store.containments
          .record({ incidentId: parsed.incidentId, step: parsed.step, action: action.name })
          .catch((error) => logger.error("containment not counted", { error: errorAttributes(error) }));
      }
      logger.info("action finished", {
        action: action.name,
        mode: result.mode,
        writes: result.writes.length,
      });
      metrics.addMetric("ActionFinished", "Count", 1);
      return result;
    } catch (error) {
      const quellError = toQuellError(error);
      // A refusal to act without a recorded decision is a safety event, not a provider's bad day.
      const refused = quellError instanceof ApprovalNotRecorded || quellError instanceof AutoApprovalRefused;
      logger[refused ? "error" : "warn"](refused ? "action refused" : "action failed", {
        action: action.name,
        error: errorAttributes(quellError),
      });
      metrics.addMetric(refused ? "ActionRefused" : "ActionFailed", "Count", 1);
      throw quellError;
    }
  };
  const config = new IdempotencyConfig({
    // An undo is a second, distinct run of the same step.
    eventKeyJmesPath: "[incidentId, step, mode]",
    throwOnNoIdempotencyKey: true,
  });
  const idempotent = makeIdempotent(run, {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: env[EnvNames.idempotencyTableName] }),
    config,
  });
  // A read-only action sends nothing a retry could send twice: it reads afresh each time, as a wait loop's
  // status check must (the same step, polled, would otherwise get its first answer back forever).
  return instrumented(tools, async (event: unknown, lambdaContext?: Context) => {
    if (readOnly) return run(event);
    if (lambdaContext) config.registerLambdaContext(lambdaContext);
    return idempotent(event);
  });
}
