import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { writes } from "../../functions/actions/contract.js";
import { actions, isActionName } from "../../functions/actions/registry.js";
import { fromRoot } from "../../infra/aws/paths.js";
import { diagramFiles } from "../../playbooks/cli.js";
import { type Asl, compilePlaybook } from "../../playbooks/compile.js";
import { definePlaybook, type Playbook, targetsOf } from "../../playbooks/define.js";
import {
  DIAGRAM_INDEX,
  diagramPagePath,
  mermaidOf,
  README_DIAGRAM_PLAYBOOK,
  readmeDiagram,
  START_NODE,
  withReadmeDiagram,
} from "../../playbooks/diagram.js";
import type { Branch, Step } from "../../playbooks/dsl.js";
import { playbooks } from "../../playbooks/index.js";

const REGENERATE = "run `npm run compile-playbooks -- golden` and review the diff before committing";

/** A diagram read back: its nodes (id, shape, label lines decoded) and edges. Any line it cannot read throws. */
interface Parsed {
  readonly nodes: Map<string, { shape: string; lines: string[] }>;
  readonly edges: { from: string; to: string; label?: string; dotted: boolean }[];
  readonly subgraphs: string[];
}

const ID = "[A-Za-z][A-Za-z0-9_]*";
const SHAPES: Record<string, string> = {
  "((": "))",
  "{{": "}}",
  "[[": "]]",
  "[/": "/]",
  "([": "])",
  "{": "}",
  "[": "]",
};
/**
 * A quoted label: line breaks, entity codes (`#34;`) and text with none of the characters that could end or split
 * a node (a quote, a bracket, a pipe, `<`, `>`, `;`, `#`, a backtick).
 */
const LABEL = '"((?:[^"\\[\\]{}|;<>`#]|#\\d+;|<br/>)*)"';
const NODE = new RegExp(
  `^(${ID})(\\(\\(|\\{\\{|\\[\\[|\\[/|\\(\\[|\\{|\\[)${LABEL}(\\)\\)|\\}\\}|\\]\\]|/\\]|\\]\\)|\\}|\\])$`,
);
const EDGE = new RegExp(`^(${ID}) (-->|-\\.->)(?:\\|${LABEL}\\|)? (${ID})$`);

const decode = (text: string) =>
  text.replace(/#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

function parse(mermaid: string): Parsed {
  const [header, ...lines] = mermaid.trimEnd().split("\n");
  if (header !== "flowchart TD") throw new Error(`not a flowchart TD: ${header}`);
  const parsed: Parsed = { nodes: new Map(), edges: [], subgraphs: [] };
  let depth = 0;
  for (const raw of lines) {
    const line = raw.trim();
    const node = NODE.exec(line);
    const edge = EDGE.exec(line);
    const subgraph = new RegExp(`^subgraph (${ID})\\[${LABEL}\\]$`).exec(line);
    if (node) {
      const [, id = "", open = "", label = "", close = ""] = node;
      if (SHAPES[open] !== close) throw new Error(`mismatched shape: ${line}`);
      if (parsed.nodes.has(id)) throw new Error(`node ${id} declared twice`);
      parsed.nodes.set(id, { shape: open, lines: label.split("<br/>").map(decode) });
    } else if (edge) {
      const [, from = "", arrow, label, to = ""] = edge;
      parsed.edges.push({ from, to, dotted: arrow === "-.->", ...(label ? { label: decode(label) } : {}) });
    } else if (subgraph) {
      parsed.subgraphs.push(subgraph[1] ?? "");
      depth++;
    } else if (line === "end") {
      depth--;
    } else if (!/^%% [^\n]*$/.test(line) && !/^classDef \w+ [\w:#,]+$/.test(line)) {
      if (!new RegExp(`^class ${ID}(,${ID})* \\w+$`).test(line)) throw new Error(`unreadable line: ${raw}`);
    }
  }
  if (depth !== 0) throw new Error("unbalanced subgraph");
  for (const { from, to } of parsed.edges) {
    if (!parsed.nodes.has(from) || !parsed.nodes.has(to)) throw new Error(`edge ${from} -> ${to} to no node`);
  }
  return parsed;
}

/** Nodes no path from the start reaches. */
function unreachable(parsed: Parsed): string[] {
  const reached = new Set([START_NODE]);
  const pending = [START_NODE];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    for (const edge of parsed.edges) {
      if (edge.from === id && !reached.has(edge.to)) {
        reached.add(edge.to);
        pending.push(edge.to);
      }
    }
  }
  return [...parsed.nodes.keys()].filter((id) => !reached.has(id));
}

function* stepsOf(scope: Branch): Generator<[string, Step]> {
  for (const [id, step] of Object.entries(scope.steps)) {
    yield [id, step];
    if (step.type === "parallel") for (const branch of step.branches) yield* stepsOf(branch);
  }
}

const diagramOf = (playbook: Playbook) => mermaidOf(playbook.name, compilePlaybook(playbook).definition);
const read = (path: string) => readFileSync(fromRoot(path), "utf8");

/** A small playbook with one of each kind of step (and no Parallel), for the exact text below. */
const small = definePlaybook({
  name: "fixture-diagram",
  description: "Test fixture: block an end user unless protected.",
  handles: ["jailbreak"],
  startAt: "checkUser",
  steps: {
    checkUser: {
      type: "action",
      action: "quell.check-protected",
      input: { endUser: { path: "$.alert.details.endUserId" } },
      next: "isProtected",
      onError: "giveUp",
    },
    isProtected: {
      type: "choice",
      choices: [{ when: { path: "$.steps.checkUser.output.protected", equals: true }, next: "leaveIt" }],
      otherwise: "approveBlock",
    },
    approveBlock: {
      type: "approval",
      policy: "one",
      fourEyesWhen: "$.asset.treatAsProduction",
      title: "Block the end user",
      plan: ["Block the end user at the gateway."],
      facts: { User: "$.alert.details.endUserId" },
      timeoutSeconds: 3600,
      onApprove: "block",
      onTimeout: "cooldown",
    },
    block: {
      type: "action",
      action: "litellm.block-end-user",
      input: { endUserId: { path: "$.alert.details.endUserId" } },
      next: "blocked",
    },
    cooldown: { type: "wait", seconds: 300, next: "leaveIt" },
    leaveIt: { type: "succeed", outcome: "resolved", summary: "Left as it is." },
    blocked: { type: "succeed", outcome: "mitigated", summary: "End user blocked." },
    giveUp: { type: "fail", error: "CheckFailed", cause: "The protection check failed." },
  },
});

const SMALL_DIAGRAM = `flowchart TD
  %% fixture-diagram: drawn from the compiled state machine by npm run compile-playbooks -- golden
  Q_start(("start"))
  checkUser["checkUser<br/>quell.check-protected<br/>read-only"]
  isProtected{"isProtected"}
  approveBlock{{"approveBlock<br/>Block the end user<br/>approval: one · four eyes in production"}}
  block["block<br/>litellm.block-end-user<br/>writes"]
  cooldown[/"cooldown<br/>wait 5 min"/]
  leaveIt(["leaveIt<br/>resolved"])
  blocked(["blocked<br/>mitigated"])
  giveUp(["giveUp<br/>failed"])
  Q_denied(["denied"])
  Q_failed(["failed"])
  Q_start --> checkUser
  checkUser --> isProtected
  checkUser -.->|"fails"| giveUp
  isProtected -->|"protected = true"| leaveIt
  isProtected -->|"otherwise"| approveBlock
  approveBlock -->|"approved"| block
  approveBlock -.->|"denied"| Q_denied
  approveBlock -.->|"fails"| Q_failed
  approveBlock -.->|"expired"| cooldown
  block --> blocked
  block -.->|"fails"| Q_failed
  cooldown --> leaveIt
  classDef approval fill:#fff3bf,stroke:#e67700,color:#000
  class approveBlock approval
  classDef write fill:#ffe3e3,stroke:#c92a2a,color:#000
  class block write
  classDef read fill:#e7f5ff,stroke:#1971c2,color:#000
  class checkUser read
  classDef done fill:#d3f9d8,stroke:#2b8a3e,color:#000
  class leaveIt,blocked done
  classDef stopped fill:#f1f3f5,stroke:#495057,color:#000
  class giveUp,Q_denied,Q_failed stopped
`;

const HOSTILE_TITLE = 'Evil"] --> pwned[<script>alert(1)</script>] | x; #1 `y`';

const hostile = definePlaybook({
  name: "fixture-hostile-diagram",
  description: "Test fixture: titles and values that would break a Mermaid diagram.",
  handles: ["jailbreak"],
  startAt: "which",
  steps: {
    which: {
      type: "choice",
      choices: [{ when: { path: "$.alert.title", equals: 'a"|b]<i>;' }, next: "approveIt" }],
      otherwise: "done",
    },
    approveIt: {
      type: "approval",
      policy: "two",
      title: HOSTILE_TITLE,
      plan: ["Nothing."],
      facts: {},
      timeoutSeconds: 3600,
      onApprove: "done",
    },
    done: { type: "succeed", outcome: "resolved", summary: "Done." },
  },
});

const parallel = definePlaybook({
  name: "fixture-parallel-diagram",
  description: "Test fixture: a Parallel step.",
  handles: ["jailbreak"],
  startAt: "both",
  steps: {
    both: {
      type: "parallel",
      branches: [
        {
          startAt: "check",
          steps: {
            check: {
              type: "action",
              action: "quell.check-protected",
              input: { endUser: { path: "$.alert.details.endUserId" } },
              next: "checked",
            },
            checked: { type: "succeed", outcome: "resolved", summary: "" },
          },
        },
        {
          startAt: "pause",
          steps: {
            pause: { type: "wait", seconds: 30, next: "paused" },
            paused: { type: "succeed", outcome: "resolved", summary: "" },
          },
        },
      ],
      next: "finished",
    },
    finished: { type: "succeed", outcome: "mitigated", summary: "Both done." },
  },
});

const everyDiagram: [string, Playbook][] = [
  ...playbooks.map((playbook) => [playbook.name, playbook] as [string, Playbook]),
  ["fixture-diagram", small],
  ["fixture-hostile-diagram", hostile],
  ["fixture-parallel-diagram", parallel],
];

describe("the playbook diagrams on disk", () => {
  it.each(playbooks.map((playbook) => [playbook.name, playbook] as const))(
    "docs/playbooks/%s.md is current: its diagram is the compiled machine's",
    (name, playbook) => {
      const page = read(diagramPagePath(name));
      expect(page, `${diagramPagePath(name)} is stale: ${REGENERATE}`).toBe(
        diagramFiles(playbooks, compilePlaybook).get(diagramPagePath(name)),
      );
      expect(page).toContain(`\n\`\`\`mermaid\n${diagramOf(playbook)}\`\`\`\n`);
      for (const type of playbook.handles) expect(page).toContain(`\`${type}\``);
      if (playbook.onlyWithDetail) expect(page).toContain(`\`${playbook.onlyWithDetail}\``);
    },
  );

  it("are exactly the files `golden` writes: a page per playbook and the index, no more", () => {
    const files = diagramFiles(playbooks, compilePlaybook);
    expect([...files.keys()].sort()).toStrictEqual(
      [...playbooks.map((playbook) => diagramPagePath(playbook.name)), DIAGRAM_INDEX].sort(),
    );
    expect(read(DIAGRAM_INDEX), `${DIAGRAM_INDEX} is stale: ${REGENERATE}`).toBe(files.get(DIAGRAM_INDEX));
    for (const playbook of playbooks) expect(read(DIAGRAM_INDEX)).toContain(`](${playbook.name}.md)`);
  });

  it("link to files that exist", () => {
    for (const [path, text] of diagramFiles(playbooks, compilePlaybook)) {
      const links = [...text.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((match) => match[1] ?? "");
      expect(links.length, path).toBeGreaterThan(0);
      for (const link of links) {
        const target = new URL(link, new URL(`file:///root/${path}`)).pathname.replace(/^\/root\//, "");
        expect(existsSync(fromRoot(target)), `${path} links to ${link}, which does not exist`).toBe(true);
      }
    }
  });

  it("README.md shows the current diagram of one playbook, and links every page", () => {
    const readme = read("README.md");
    const playbook = playbooks.find((candidate) => candidate.name === README_DIAGRAM_PLAYBOOK);
    if (!playbook) throw new Error(`no playbook ${README_DIAGRAM_PLAYBOOK}`);
    expect(readmeDiagram(readme), `README.md's diagram is stale: ${REGENERATE}`).toBe(diagramOf(playbook));
    for (const { name } of playbooks) expect(readme).toContain(`(docs/playbooks/${name}.md)`);
  });

  it("README.md's diagram is replaced in place, and only it", () => {
    const readme =
      "# Q\n\n## Playbook diagrams\n\nText.\n\n```mermaid\nflowchart TD\n  a\n```\n\nMore.\n\n## Next\n";
    expect(withReadmeDiagram(readme, "flowchart TD\n  b\n")).toBe(readme.replace("  a\n", "  b\n"));
    expect(readmeDiagram(readme)).toBe("flowchart TD\n  a\n");
    // A mermaid block under another section is not the one.
    const elsewhere = "## Playbook diagrams\n\nNone.\n\n## Other\n\n```mermaid\nflowchart TD\n```\n";
    expect(readmeDiagram(elsewhere)).toBeUndefined();
    expect(withReadmeDiagram(elsewhere, "x\n")).toBe(elsewhere);
  });
});

describe.each(everyDiagram)("the diagram of %s", (_, playbook) => {
  // Read back in beforeAll: a diagram that cannot be read fails every test here, not the whole file.
  let parsed: Parsed;
  beforeAll(() => {
    parsed = parse(diagramOf(playbook));
  });
  const steps = [...stepsOf(playbook)];
  const label = (id: string) => parsed.nodes.get(id)?.lines ?? [];

  it("is deterministic", () => {
    expect(diagramOf(playbook)).toBe(diagramOf(playbook));
  });

  it("names every step of the playbook with a node of its own", () => {
    expect(steps.length).toBeGreaterThan(0);
    for (const [id] of steps) expect(label(id)[0], `step ${id}`).toBe(id);
  });

  it("draws each kind of step with its shape", () => {
    const shapes = { action: "[", approval: "{{", choice: "{", wait: "[/", parallel: "[[", succeed: "([" };
    for (const [id, step] of steps) {
      const expected = step.type === "fail" ? "([" : shapes[step.type];
      expect(parsed.nodes.get(id)?.shape, `step ${id} (${step.type})`).toBe(expected);
    }
  });

  it("names the action of every action node, and whether it writes", () => {
    for (const [id, step] of steps) {
      if (step.type !== "action") continue;
      if (!isActionName(step.action)) throw new Error(`unknown action ${step.action}`);
      const writing = writes(actions[step.action].definition);
      expect(label(id).slice(1), `step ${id}`).toStrictEqual([step.action, writing ? "writes" : "read-only"]);
    }
  });

  it("shows the policy of every approval, and four eyes in production when it has them", () => {
    for (const [id, step] of steps) {
      if (step.type !== "approval") continue;
      const policy = label(id)[2] ?? "";
      expect(policy, `step ${id}`).toMatch(new RegExp(`^approval: ${step.policy}\\b`));
      expect(policy.includes("four eyes in production"), `step ${id}`).toBe(
        step.policy !== "auto" && step.fourEyesWhen !== undefined,
      );
    }
  });

  it("draws every transition of the definition, and every way an action or approval ends", () => {
    const edgesFrom = (id: string) => parsed.edges.filter((edge) => edge.from === id);
    const to = (id: string, target: string, text?: string) =>
      edgesFrom(id).some((edge) => edge.to === target && (text === undefined || edge.label === text));
    for (const [id, step] of steps) {
      if (step.type === "parallel") {
        // Into each branch, and on from the end of each branch.
        for (const branch of step.branches) {
          expect(to(id, branch.startAt), `${id} -> ${branch.startAt}`).toBe(true);
          for (const [end, last] of Object.entries(branch.steps)) {
            if (last.type === "succeed") expect(to(end, step.next), `${end} -> ${step.next}`).toBe(true);
          }
        }
      } else {
        for (const target of targetsOf(step)) expect(to(id, target), `${id} -> ${target}`).toBe(true);
      }
      if (step.type === "action")
        expect(to(id, step.onError ?? "Q_failed", "fails"), `${id} fails`).toBe(true);
      if (step.type === "approval" && step.policy !== "auto") {
        expect(to(id, step.onApprove, "approved"), `${id} approved`).toBe(true);
        expect(to(id, step.onDeny ?? "Q_denied", "denied"), `${id} denied`).toBe(true);
        expect(to(id, step.onTimeout ?? "Q_expired", "expired"), `${id} expired`).toBe(true);
      }
      // An ending goes nowhere (in a Parallel branch, only on to the step after the Parallel).
      if ((step.type === "succeed" || step.type === "fail") && id in playbook.steps)
        expect(edgesFrom(id), `${id} ends`).toStrictEqual([]);
    }
    for (const edge of parsed.edges)
      expect(edge.dotted, JSON.stringify(edge)).toBe(
        ["fails", "denied", "expired"].includes(edge.label ?? ""),
      );
  });

  it("reaches every node from the start", () => {
    expect(parsed.edges.some((edge) => edge.from === START_NODE)).toBe(true);
    expect(unreachable(parsed)).toStrictEqual([]);
  });
});

describe("drawing a diagram", () => {
  it("gives a small playbook exactly this text", () => {
    expect(diagramOf(small)).toBe(SMALL_DIAGRAM);
  });

  it("finds an unreachable node (the reachability check really checks)", () => {
    const broken = parse(`${SMALL_DIAGRAM}  orphan["orphan"]\n`);
    expect(unreachable(broken)).toStrictEqual(["orphan"]);
  });

  it("escapes a hostile title so the approval stays one node with the whole title", () => {
    const text = diagramOf(hostile);
    const parsed = parse(text);
    expect(parsed.nodes.get("approveIt")?.lines).toStrictEqual(["approveIt", HOSTILE_TITLE, "approval: two"]);
    // Start, the three steps and the shared endings an approval of two has: nothing else became a node.
    expect([...parsed.nodes.keys()].sort()).toStrictEqual(
      [START_NODE, "which", "approveIt", "done", "Q_denied", "Q_expired", "Q_failed"].sort(),
    );
    expect(text).not.toContain("<script");
    expect(text).not.toContain("pwned[");
    expect(text).not.toMatch(/`/);
    expect(parsed.edges.find((edge) => edge.from === "which" && edge.to === "approveIt")?.label).toBe(
      'title = a"|b]<i>;',
    );
  });

  it("reads back only well-formed nodes (a label that breaks out of its node is refused)", () => {
    expect(() => parse('flowchart TD\n  a["x"] --> b"]\n')).toThrow();
    expect(() => parse('flowchart TD\n  a["say "hi""]\n')).toThrow();
  });

  it("gives Mermaid-safe ids to state names Mermaid reserves or cannot read, and keeps their names", () => {
    const asl: Asl = {
      StartAt: "end",
      States: {
        end: { Type: "Pass", Next: "my state" },
        "my state": { Type: "Pass", Next: "class" },
        class: { Type: "Succeed" },
      },
    };
    const parsed = parse(mermaidOf("odd", asl));
    expect([...parsed.nodes.keys()]).toStrictEqual([START_NODE, "step_end", "step_my_state", "step_class"]);
    expect(parsed.nodes.get("step_my_state")?.lines).toStrictEqual(["my state", "Pass"]);
    expect(parsed.nodes.get("step_class")?.lines).toStrictEqual(["class", "succeeds"]);
    expect(unreachable(parsed)).toStrictEqual([]);
  });

  it("draws each Parallel branch in a subgraph of its own, going on after the branches", () => {
    const text = diagramOf(parallel);
    const parsed = parse(text);
    expect(parsed.subgraphs).toStrictEqual(["both_branch1", "both_branch2"]);
    expect(text).toContain('  subgraph both_branch1["both · branch 1"]\n    check[');
    expect(parsed.nodes.get("both")?.lines).toStrictEqual(["both", "parallel: 2 branches"]);
    for (const end of ["checked", "paused"])
      expect(parsed.edges).toContainEqual({ from: end, to: "finished", dotted: false });
    expect(parsed.edges).toContainEqual({ from: "both", to: "Q_failed", label: "fails", dotted: true });
    expect(parsed.edges.filter((edge) => edge.to === "finished").map((edge) => edge.from)).toStrictEqual([
      "checked",
      "paused",
    ]);
  });
});
