import { type CompiledPlaybook, compilePlaybook } from "./compile.js";
import { playbooks } from "./index.js";
import { compileUndoMachine } from "./undo.js";

/** Every state machine Quell deploys: one per playbook, and the undo machine. */
export const compiledMachines = (): CompiledPlaybook[] => [
  ...playbooks.map(compilePlaybook),
  compileUndoMachine(),
];
