import { writes } from "../functions/actions/contract.js";
import { actions, isActionName } from "../functions/actions/registry.js";
import { ApprovalDenied, errorName, StatesErrors } from "../functions/shared/errors.js";
import { type Asl, type AslState, LAMBDA_INVOKE_WAIT_FOR_TOKEN, placeholderFor } from "./compile.js";
import type { Playbook } from "./define.js";

/**
 * A Mermaid `flowchart TD` of a playbook, drawn from its COMPILED state machine (what Step Functions runs, not
 * the definition), and the pages `npm run compile-playbooks -- golden` writes under docs/playbooks/.
 *
 * The compiler names every state after the step it comes from, generated states with a dot (`cutTool.record`,
 * `cutTool.failed`, `approveCutTool.denied`, `x.end`): each collapses into its step's node, the part before the
 * first dot. A generated ending (a `closed` record of `failed`, `denied` or `expired` and its `.end`) becomes one
 * shared outcome node per outcome instead, so every action that fails without an `onError` points at `failed`.
 */

type States = Record<string, AslState>;
interface Scope {
  readonly StartAt: string;
  readonly States: States;
}

/** The Mermaid node shapes used, by what a node is. */
const SHAPES = {
  start: ["((", "))"],
  action: ["[", "]"],
  approval: ["{{", "}}"],
  choice: ["{", "}"],
  wait: ["[/", "/]"],
  parallel: ["[[", "]]"],
  outcome: ["([", "])"],
  other: ["[", "]"],
} as const;
type Shape = keyof typeof SHAPES;

/** Style classes, in the order their `classDef`s are written (only those a diagram uses). */
const CLASSES = {
  approval: "fill:#fff3bf,stroke:#e67700,color:#000",
  write: "fill:#ffe3e3,stroke:#c92a2a,color:#000",
  read: "fill:#e7f5ff,stroke:#1971c2,color:#000",
  done: "fill:#d3f9d8,stroke:#2b8a3e,color:#000",
  stopped: "fill:#f1f3f5,stroke:#495057,color:#000",
} as const;
type StyleClass = keyof typeof CLASSES;

/** The outcomes an incident closes with that are not a success (a shared node each, styled `stopped`). */
const STOPPED = new Set(["failed", "denied", "expired"]);

/** Edge labels drawn dotted: the ways off the happy path. */
const DOTTED = new Set(["fails", "denied", "expired"]);

/** Words Mermaid's flowchart grammar reserves; a step with such an id gets a prefixed node id. */
const RESERVED = new Set([
  "end",
  "graph",
  "flowchart",
  "subgraph",
  "direction",
  "style",
  "linkstyle",
  "classdef",
  "class",
  "click",
  "call",
  "href",
  "callback",
  "default",
]);

/** Node ids of the nodes every diagram may have; a step id never has an underscore, so none collides. */
export const START_NODE = "Q_start";
const sharedOutcomeId = (outcome: string) => `Q_${outcome.replace(/[^A-Za-z0-9]/g, "_")}`;

/** Longest a free-text label line (an approval's title, a choice rule) may be before it is cut. */
const MAX_LINE = 60;
const MAX_EDGE_LABEL = 40;

const ACTION_BY_PLACEHOLDER = new Map(
  Object.keys(actions).map((action) => [placeholderFor({ kind: "action", action }), action]),
);

const APPROVAL_DENIED = errorName(ApprovalDenied);

/** Mermaid-special characters as entity codes (`#35;`), so a label stays one quoted string on one node. */
const ENTITIES: Record<string, string> = {
  "#": "#35;",
  '"': "#34;",
  "&": "#38;",
  "<": "#60;",
  ">": "#62;",
  "[": "#91;",
  "]": "#93;",
  "{": "#123;",
  "}": "#125;",
  "|": "#124;",
  ";": "#59;",
  "`": "#96;",
};

/** One line of label text, escaped for a quoted Mermaid label (and for the Markdown fence around it). */
export function mermaidText(text: string, max = MAX_LINE): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const short = flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
  return short.replace(/[#"&<>[\]{}|;`]/g, (character) => ENTITIES[character] ?? character);
}

const label = (lines: readonly string[]) => `"${lines.join("<br/>")}"`;

function duration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** The `${Placeholder}` a Task invokes and its payload, when it is one of Quell's Lambda tasks. */
function taskOf(state: AslState): { placeholder: string; payload: Record<string, unknown> } | undefined {
  if (state.Type !== "Task") return undefined;
  const parameters = record(state.Parameters);
  const name = parameters.FunctionName;
  const match = typeof name === "string" ? /^\$\{([A-Za-z0-9_]+)\}$/.exec(name) : null;
  return match?.[1] ? { placeholder: match[1], payload: record(parameters.Payload) } : undefined;
}

/** A recorder task that closes the incident, and with which outcome. */
function closedOutcome(state: AslState | undefined): string | undefined {
  const task = state && taskOf(state);
  if (task?.placeholder !== placeholderFor({ kind: "recorder" }) || task.payload.kind !== "closed")
    return undefined;
  return String(task.payload.outcome);
}

const isApprovalWait = (state: AslState) =>
  state.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN &&
  taskOf(state)?.placeholder === placeholderFor({ kind: "approvalRequest" });

/** The step a state belongs to: the part of its name before the first dot. */
const stepOf = (name: string) => name.split(".")[0] ?? name;

/** What a node is keyed by: its step, or the shared ending it stands for. */
function keyOf(scope: Scope, name: string): string {
  if (name.includes(".")) {
    const ending = name.endsWith(".end") ? name.slice(0, -".end".length) : name;
    const outcome = ending.includes(".") ? closedOutcome(scope.States[ending]) : undefined;
    if (outcome !== undefined) return `outcome:${outcome}`;
  }
  return `step:${stepOf(name)}`;
}

interface DiagramNode {
  readonly id: string;
  readonly shape: Shape;
  readonly lines: readonly string[];
  readonly style?: StyleClass;
  /** The subgraph it is declared in (a Parallel branch); top level when absent. */
  readonly group?: string;
  /** A shared ending (`failed`, `denied`, `expired`): declared last, after every step. */
  readonly shared?: true;
}

interface Subgraph {
  readonly id: string;
  readonly title: string;
  readonly parent?: string;
}

/** A Choice rule as an edge label: the last segment of its path, the comparison and its value. */
function ruleLabel(rule: Record<string, unknown>): string {
  const variable = typeof rule.Variable === "string" ? (rule.Variable.split(".").pop() ?? rule.Variable) : "";
  const operators: [string, (value: unknown) => string][] = [
    ["StringEquals", (value) => `= ${String(value)}`],
    ["NumericEquals", (value) => `= ${String(value)}`],
    ["BooleanEquals", (value) => `= ${String(value)}`],
    ["NumericGreaterThan", (value) => `> ${String(value)}`],
    ["NumericGreaterThanEquals", (value) => `>= ${String(value)}`],
    ["NumericLessThan", (value) => `< ${String(value)}`],
    ["NumericLessThanEquals", (value) => `<= ${String(value)}`],
    ["StringMatches", (value) => `matches ${String(value)}`],
    ["IsNull", (value) => (value === true ? "is null" : "is not null")],
    ["IsPresent", (value) => (value === true ? "is present" : "is absent")],
  ];
  for (const [operator, text] of operators) {
    if (Object.hasOwn(rule, operator)) return `${variable} ${text(rule[operator])}`.trim();
  }
  const other = Object.keys(rule).find((key) => key !== "Next" && key !== "Variable");
  return `${variable} ${other ?? "?"}`.trim();
}

/** Every transition out of a state, with the edge label it gets when it leaves its node. */
function transitionsOf(state: AslState): { target: string; label?: string }[] {
  const out: { target: string; label?: string }[] = [];
  if (state.Type === "Choice") {
    for (const rule of (state.Choices as Record<string, unknown>[] | undefined) ?? []) {
      if (typeof rule.Next === "string") out.push({ target: rule.Next, label: ruleLabel(rule) });
    }
    if (typeof state.Default === "string") out.push({ target: state.Default, label: "otherwise" });
  }
  if (typeof state.Next === "string") {
    const kind = taskOf(state)?.payload.kind;
    const nextLabel = isApprovalWait(state)
      ? "approved"
      : kind === "action_failed"
        ? "fails"
        : kind === "approval_expired"
          ? "expired"
          : undefined;
    out.push({ target: state.Next, ...(nextLabel ? { label: nextLabel } : {}) });
  }
  for (const handler of (state.Catch as { ErrorEquals?: string[]; Next?: unknown }[] | undefined) ?? []) {
    if (typeof handler.Next !== "string") continue;
    const errors = handler.ErrorEquals ?? [];
    const catchLabel = errors.includes(APPROVAL_DENIED)
      ? "denied"
      : errors.includes(StatesErrors.timeout)
        ? "expired"
        : "fails";
    out.push({ target: handler.Next, label: catchLabel });
  }
  return out;
}

/** How a step's node looks, read off its main state (the one named after the step). */
function describe(step: string, state: AslState, scope: Scope): Omit<DiagramNode, "id" | "group"> {
  const task = taskOf(state);
  if (task?.placeholder.startsWith("Action_")) {
    // The failure record names the action exactly; the placeholder, with its dots and dashes made `_`, nearly.
    const recorded = taskOf(scope.States[`${step}.failed`] ?? state)?.payload.action;
    const action =
      typeof recorded === "string"
        ? recorded
        : (ACTION_BY_PLACEHOLDER.get(task.placeholder) ?? task.placeholder);
    if (!isActionName(action)) return { shape: "action", lines: [step, mermaidText(action)] };
    const writing = writes(actions[action].definition);
    return {
      shape: "action",
      lines: [step, mermaidText(action), writing ? "writes" : "read-only"],
      style: writing ? "write" : "read",
    };
  }
  if (task?.placeholder === placeholderFor({ kind: "approvalRequest" })) {
    const { payload } = task;
    const policy = payload.mode === "auto" ? "auto" : String(payload.policy ?? "?");
    const escalation = record(payload.escalation);
    const details = [
      `approval: ${policy}`,
      ...("fourEyes.$" in payload ? ["four eyes in production"] : []),
      ...(typeof escalation.afterSeconds === "number"
        ? [`escalates after ${duration(escalation.afterSeconds)}`]
        : []),
    ];
    return {
      shape: "approval",
      lines: [step, mermaidText(String(payload.title ?? "")), mermaidText(details.join(" · "))],
      style: "approval",
    };
  }
  const outcome = closedOutcome(state);
  if (outcome !== undefined) {
    return {
      shape: "outcome",
      lines: step === outcome ? [step] : [step, mermaidText(outcome)],
      style: STOPPED.has(outcome) ? "stopped" : "done",
    };
  }
  switch (state.Type) {
    case "Choice":
      return { shape: "choice", lines: [step] };
    case "Wait":
      return {
        shape: "wait",
        lines: [step, typeof state.Seconds === "number" ? `wait ${duration(state.Seconds)}` : "wait"],
      };
    case "Parallel":
      return {
        shape: "parallel",
        lines: [step, `parallel: ${((state.Branches as unknown[] | undefined) ?? []).length} branches`],
      };
    case "Succeed":
      return { shape: "outcome", lines: [step, "succeeds"], style: "done" };
    case "Fail":
      return {
        shape: "outcome",
        lines: [step, mermaidText(`failed: ${String(state.Error ?? "")}`)],
        style: "stopped",
      };
    default:
      return { shape: "other", lines: [step, mermaidText(state.Type)] };
  }
}

class Diagram {
  readonly nodes = new Map<string, DiagramNode>();
  readonly subgraphs: Subgraph[] = [];
  readonly edges = new Map<string, string>();
  private readonly used = new Set<string>([START_NODE, ...[...STOPPED].map(sharedOutcomeId)]);

  private allocate(preferred: string): string {
    let id = preferred;
    for (let n = 2; this.used.has(id); n++) id = `${preferred}_${n}`;
    this.used.add(id);
    return id;
  }

  private stepId(step: string): string {
    const plain = /^[A-Za-z][A-Za-z0-9]*$/.test(step) && !RESERVED.has(step.toLowerCase());
    return this.allocate(plain ? step : `step_${step.replace(/[^A-Za-z0-9]/g, "_")}`);
  }

  /** First pass: a node for every step and shared ending, in the order their states appear. */
  declare(scope: Scope, group?: string): void {
    for (const [name, state] of Object.entries(scope.States)) {
      const key = keyOf(scope, name);
      if (!this.nodes.has(key)) {
        if (key.startsWith("outcome:")) {
          const outcome = key.slice("outcome:".length);
          const id = STOPPED.has(outcome)
            ? sharedOutcomeId(outcome)
            : this.allocate(sharedOutcomeId(outcome));
          this.nodes.set(key, {
            id,
            shape: "outcome",
            lines: [mermaidText(outcome)],
            style: STOPPED.has(outcome) ? "stopped" : "done",
            shared: true,
          });
        } else {
          const step = stepOf(name);
          const main = scope.States[step] ?? state;
          this.nodes.set(key, {
            id: this.stepId(step),
            ...describe(step, main, scope),
            ...(group ? { group } : {}),
          });
        }
      }
      if (state.Type === "Parallel") {
        const parallelId = this.idOf(key);
        ((state.Branches as Scope[] | undefined) ?? []).forEach((branch, index) => {
          const id = this.allocate(`${parallelId}_branch${index + 1}`);
          this.subgraphs.push({
            id,
            title: `${mermaidText(stepOf(name))} · branch ${index + 1}`,
            ...(group ? { parent: group } : {}),
          });
          this.declare(branch, id);
        });
      }
    }
  }

  idOf(key: string): string {
    const node = this.nodes.get(key);
    if (!node) throw new Error(`no node for ${key}`);
    return node.id;
  }

  edge(from: string, to: string, text?: string): void {
    const arrow = text && DOTTED.has(text) ? "-.->" : "-->";
    const line = text
      ? `${from} ${arrow}|"${mermaidText(text, MAX_EDGE_LABEL)}"| ${to}`
      : `${from} ${arrow} ${to}`;
    const key = `${from}\n${to}\n${text ?? ""}`;
    if (!this.edges.has(key)) this.edges.set(key, line);
  }

  /** Second pass: every transition that leaves a node, in the order the states appear. */
  connect(scope: Scope, after?: string): void {
    for (const [name, state] of Object.entries(scope.States)) {
      const key = keyOf(scope, name);
      const from = this.idOf(key);
      for (const { target, label: text } of transitionsOf(state)) {
        const to = keyOf(scope, target);
        // A Parallel goes on from the ends of its branches (below), not from itself.
        if (to !== key && !(state.Type === "Parallel" && target === state.Next))
          this.edge(from, this.idOf(to), text);
      }
      // A branch that ends goes on with the step after its Parallel.
      if (after && key.startsWith("step:") && (state.Type === "Succeed" || state.End === true))
        this.edge(from, after);
      if (state.Type === "Parallel") {
        const next = typeof state.Next === "string" ? this.idOf(keyOf(scope, state.Next)) : undefined;
        for (const branch of (state.Branches as Scope[] | undefined) ?? []) {
          this.edge(from, this.idOf(keyOf(branch, branch.StartAt)));
          this.connect(branch, next);
        }
      }
    }
  }

  text(comment: string, asl: Scope): string {
    const lines = ["flowchart TD", `  %% ${comment.replace(/\s+/g, " ")}`];
    lines.push(`  ${START_NODE}${SHAPES.start[0]}"start"${SHAPES.start[1]}`);
    const ordered = [...this.nodes.values()].sort(
      (a, b) => Number(a.shared ?? false) - Number(b.shared ?? false),
    );
    const declareIn = (group: string | undefined, indent: string) => {
      for (const node of ordered) {
        if (node.group !== group) continue;
        const [open, close] = SHAPES[node.shape];
        lines.push(`${indent}${node.id}${open}${label(node.lines)}${close}`);
      }
      for (const subgraph of this.subgraphs) {
        if (subgraph.parent !== group) continue;
        lines.push(`${indent}subgraph ${subgraph.id}["${subgraph.title}"]`);
        declareIn(subgraph.id, `${indent}  `);
        lines.push(`${indent}end`);
      }
    };
    declareIn(undefined, "  ");
    lines.push(`  ${START_NODE} --> ${this.idOf(keyOf(asl, asl.StartAt))}`);
    for (const edge of this.edges.values()) lines.push(`  ${edge}`);
    const byClass = new Map<StyleClass, string[]>();
    for (const node of ordered) {
      if (node.style) byClass.set(node.style, [...(byClass.get(node.style) ?? []), node.id]);
    }
    for (const [style, definition] of Object.entries(CLASSES) as [StyleClass, string][]) {
      const ids = byClass.get(style);
      if (ids) lines.push(`  classDef ${style} ${definition}`, `  class ${ids.join(",")} ${style}`);
    }
    return `${lines.join("\n")}\n`;
  }
}

/**
 * A Mermaid `flowchart TD` of one compiled state machine. Deterministic: nodes and edges in the order their
 * states appear, so the same ASL always gives the same text.
 */
export function mermaidOf(name: string, asl: Asl): string {
  const diagram = new Diagram();
  diagram.declare(asl);
  diagram.connect(asl);
  return diagram.text(
    `${name}: drawn from the compiled state machine by npm run compile-playbooks -- golden`,
    asl,
  );
}

/** Where the playbook pages go, from the repository root. */
export const DIAGRAM_DIR = "docs/playbooks";
export const diagramPagePath = (name: string) => `${DIAGRAM_DIR}/${name}.md`;
export const DIAGRAM_INDEX = `${DIAGRAM_DIR}/README.md`;

const code = (text: string) => `\`${text}\``;

/** The page docs/playbooks/<name>.md: what the playbook is for, where it lives, and its diagram. */
export function playbookPage(playbook: Playbook, asl: Asl): string {
  const { name } = playbook;
  return [
    `# Playbook ${code(name)}`,
    "",
    playbook.description,
    "",
    `- Handles alerts of type ${playbook.handles.map(code).join(", ")}.`,
    ...(playbook.onlyWithDetail
      ? [
          `- Only alerts that carry the detail ${code(playbook.onlyWithDetail)}; the others of ` +
            `${playbook.handles.length === 1 ? "this type" : "these types"} go to the next playbook that handles them.`,
        ]
      : []),
    `- Source: [${code(`playbooks/${name}.ts`)}](../../playbooks/${name}.ts)`,
    `- Compiled state machine (golden ASL): [${code(`test/golden/${name}.asl.json`)}](../../test/golden/${name}.asl.json)`,
    "",
    "Generated by `npm run compile-playbooks -- golden` from the compiled state machine: do not edit by hand. " +
      "How to read it: [reading a diagram](README.md#reading-a-diagram).",
    "",
    "```mermaid",
    mermaidOf(name, asl).trimEnd(),
    "```",
    "",
  ].join("\n");
}

/** The page docs/playbooks/README.md: every playbook with a link to its page, and how to read a diagram. */
export function playbookIndexPage(playbooks: readonly Playbook[]): string {
  return [
    "# Playbook diagrams",
    "",
    "One page per playbook, in routing order (`playbooks/index.ts`), each with a Mermaid diagram of the state " +
      "machine Quell deploys. `npm run compile-playbooks -- golden` draws them from the compiled Amazon States " +
      "Language, not from the definitions, and `npm run compile-playbooks -- validate` and " +
      "`test/unit/playbook-diagrams.test.ts` fail when one is stale. Do not edit these pages by hand.",
    "",
    ...playbooks.map(
      (playbook) => `- [${code(playbook.name)}](${playbook.name}.md): ${playbook.description}`,
    ),
    "",
    "## Reading a diagram",
    "",
    "- Rectangles are actions: the step, the action it runs, and whether it `writes` (red) or is `read-only` (blue).",
    "- Hexagons are approvals (yellow): the step, the card's title and its policy (`one`, `two` or `auto`), with " +
      "`four eyes in production` when a `one` approval asks for two approvers in production.",
    "- Diamonds are choices: each edge out says the rule that takes it, or `otherwise`.",
    "- Slanted boxes are waits; a double-edged box is a parallel step, its branches in boxes of their own.",
    "- Rounded boxes are outcomes: a step that closes the incident (green), or the shared `failed`, `denied` and " +
      "`expired` endings (grey).",
    "- Dotted edges leave the happy path: an action or approval that `fails` (to its `onError` step, or `failed`), " +
      "an approval `denied`, or one with no decision in time, `expired`.",
    "",
  ].join("\n");
}

/** The Markdown file README.md shows one diagram from, and where its block starts. */
export const README_DIAGRAM_PLAYBOOK = "contain-agent-tool";
const README_SECTION = "## Playbook diagrams";

/** Where README.md's inline diagram is: the first ```mermaid block under "Playbook diagrams". */
function readmeBlock(readme: string): { start: number; end: number } | undefined {
  const section = readme.indexOf(`\n${README_SECTION}\n`);
  if (section < 0) return undefined;
  const fence = "\n```mermaid\n";
  const open = readme.indexOf(fence, section);
  const nextSection = readme.indexOf("\n## ", section + 1);
  if (open < 0 || (nextSection >= 0 && open > nextSection)) return undefined;
  const start = open + fence.length;
  const end = readme.indexOf("```\n", start);
  return end < 0 ? undefined : { start, end };
}

/** The diagram README.md shows inline, as it is there (undefined without the section or its block). */
export function readmeDiagram(readme: string): string | undefined {
  const block = readmeBlock(readme);
  return block && readme.slice(block.start, block.end);
}

/** README.md with its inline diagram replaced by `diagram`; unchanged when it has no such block. */
export function withReadmeDiagram(readme: string, diagram: string): string {
  const block = readmeBlock(readme);
  return block ? `${readme.slice(0, block.start)}${diagram}${readme.slice(block.end)}` : readme;
}
