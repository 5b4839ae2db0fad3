import { escapeMrkdwn } from "../shared/mrkdwn.js";
import type { CommandDeps } from "./commands.js";

/** The execution a rerun starts: one per interruption, so a second rerun of the same one is a no-op. */
export const rerunExecutionName = (incidentId: string, attempt: number) => `${incidentId}-rerun-${attempt}`;

/**
 * Start an interrupted incident's playbook again (`/quell rerun <incident>`): the local runtime lost its
 * execution while a step ran, so nothing runs and nobody can tell from Quell alone whether that step's write
 * went out (the `interrupted` entry says what is known). The same playbook starts as `<incident>-rerun-<n>` with
 * the lost execution's input; the approvals of the lost run are kept aside, so each asks again before any action
 * runs (an action runs only on its own recorded approval). One person's claim wins; who asked is recorded.
 */
export async function rerunIncident(incidentId: string, userId: string, deps: CommandDeps): Promise<string> {
  const incident = await deps.store.getIncident(incidentId);
  if (!incident) return `No incident ${escapeMrkdwn(incidentId, 60)}. Try \`/quell list\`.`;
  if (incident.status !== "interrupted") {
    return `\`${incident.id}\` is ${escapeMrkdwn(incident.status)}: only an interrupted incident (its playbook stopped mid-step) can be rerun.`;
  }
  const interruption = (await deps.store.interruptions.list(incidentId)).at(-1);
  if (interruption?.status !== "open") {
    const by = interruption?.rerunBy ? ` (<@${escapeMrkdwn(interruption.rerunBy, 30)}> reran it)` : "";
    return `\`${incident.id}\` has no interrupted run left to rerun${by}.`;
  }
  const claimed = await deps.store.interruptions.claimRerun(incidentId, interruption.executionName, userId);
  if (!claimed) {
    const now = (await deps.store.interruptions.list(incidentId)).at(-1);
    return `\`${incident.id}\` is already being rerun${now?.rerunBy ? ` (asked by <@${escapeMrkdwn(now.rerunBy, 30)}>)` : ""}.`;
  }
  const executionName = rerunExecutionName(incidentId, interruption.attempt);
  const { playbook } = interruption;
  try {
    await deps.store.interruptions.archiveApprovals(incidentId, interruption.attempt);
    await deps.store.appendTimeline(incidentId, {
      kind: "playbook_started",
      summary: `playbook ${playbook} started again by ${userId} after it was interrupted (${executionName}); its approvals ask again`,
      actor: userId,
      detail: { playbook, executionName, rerunOf: interruption.executionName, attempt: interruption.attempt },
    });
    await deps.store.updateIncident(incidentId, {
      status: "running",
      executionName,
      rerun: { executionName, requestedBy: userId },
    });
    await deps.machines.start(playbook, executionName, withCurrentShape(JSON.parse(interruption.input)));
  } catch (error) {
    // Nothing started: the incident stays interrupted and someone may ask again.
    await deps.store.updateIncident(incidentId, { status: "interrupted" });
    await deps.store.interruptions.releaseRerun(incidentId, interruption.executionName);
    throw error;
  }
  return `Rerun \`${executionName}\` of \`${escapeMrkdwn(playbook)}\` started on \`${incident.id}\`: it runs from the start and its approvals ask again. \`/quell status ${incident.id}\` follows it.`;
}

/**
 * The lost run's input as today's playbooks read it: a run started before its asset carried `deployments` (what
 * Quell learnt of a SageMaker endpoint) gets none, rather than a path Step Functions cannot find.
 */
function withCurrentShape(input: Record<string, unknown>): object {
  const asset = input.asset as Record<string, unknown> | undefined;
  if (!asset || Array.isArray(asset.deployments)) return input;
  return { ...input, asset: { ...asset, deployments: [] } };
}
