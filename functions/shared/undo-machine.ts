/** What starts the undo machine (compiled by playbooks/undo.ts), for the functions that start it. */

/** The state machine that undoes one applied action run. Not a playbook: nothing can name it as one. */
export const UNDO_MACHINE = "undo-action";

/** What starts an undo (the Slack app, after one person's claim on the run won its conditional write). */
export interface UndoInput {
  readonly incidentId: string;
  /** The action step of the run; with the incident, the run's id. */
  readonly step: string;
  readonly action: string;
  /** The run's recorded input: the same targets the apply changed. */
  readonly input: unknown;
  /** The run's recorded output: what the apply found and replaced (null when the run recorded none). */
  readonly output: unknown;
  readonly dryRun: boolean;
}

/** Execution names are unique per machine: one undo per run, ever, even if two claims raced. */
export const undoExecutionName = (incidentId: string, step: string) => `${incidentId}-${step}`.slice(0, 80);
