/**
 * Playbook tooling: `npm run compile-playbooks -- <command>`.
 *
 *   compile [name]  print the compiled ASL (one playbook, or every playbook keyed by name)
 *   golden          write test/golden/<playbook>.asl.json for every playbook, the facts triage routes by
 *                   (playbooks/playbook-facts.generated.ts), and the diagrams: docs/playbooks/<playbook>.md,
 *                   docs/playbooks/README.md and the one README.md shows
 *   validate        check every playbook (DSL, compiler, ASL validator, placeholders) and that the facts and the
 *                   diagrams are current; exit 1 on problems
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Asl, CompiledPlaybook } from "./compile.js";
import type { Playbook } from "./define.js";
import {
  DIAGRAM_DIR,
  DIAGRAM_INDEX,
  diagramPagePath,
  mermaidOf,
  playbookIndexPage,
  playbookPage,
  README_DIAGRAM_PLAYBOOK,
  readmeDiagram,
  withReadmeDiagram,
} from "./diagram.js";
import { PLAYBOOK_FACTS_FILE, playbookFactsModule } from "./playbook-facts.js";

type AslValidator = (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

const GOLDEN_DIR = fileURLToPath(new URL("../test/golden/", import.meta.url));
const fromRoot = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const USAGE = "usage: tsx playbooks/cli.ts <compile [name] | golden | validate>";

/** The golden file's exact text: pretty JSON, 2-space indent, trailing newline. */
export const goldenText = (definition: Asl): string => `${JSON.stringify(definition, null, 2)}\n`;

/** Every `${Placeholder}` a Task's FunctionName uses, in every scope (Parallel branches included). */
export function taskPlaceholders(scope: { States: Record<string, Record<string, unknown>> }): string[] {
  const found: string[] = [];
  for (const state of Object.values(scope.States)) {
    if (state.Type === "Task") {
      const name = (state.Parameters as { FunctionName?: unknown } | undefined)?.FunctionName;
      const match = typeof name === "string" ? /^\$\{([A-Za-z0-9_]+)\}$/.exec(name) : null;
      found.push(match?.[1] ?? `<no placeholder: ${String(name)}>`);
    }
    if (state.Type === "Parallel") {
      for (const branch of state.Branches as { States: Record<string, Record<string, unknown>> }[]) {
        found.push(...taskPlaceholders(branch));
      }
    }
  }
  return found;
}

/** Problems with one compiled playbook; empty when it is fine. */
export function problemsOf(compiled: CompiledPlaybook): string[] {
  const validate = createRequire(import.meta.url)("asl-validator") as AslValidator;
  // The validator writes default QueryLanguage fields into what it checks, so give it a copy.
  const verdict = validate(structuredClone(compiled.definition), { checkPaths: true, checkArn: true });
  const problems = verdict.isValid ? [] : [`ASL is invalid: ${verdict.errorsText("; ")}`];
  for (const placeholder of new Set(taskPlaceholders(compiled.definition))) {
    if (!Object.hasOwn(compiled.substitutions, placeholder)) {
      problems.push(`Task placeholder ${placeholder} is not in substitutions`);
    }
  }
  return problems;
}

/** Every diagram file `golden` writes, by path from the repository root, with the text it should hold. */
export function diagramFiles(
  playbooks: readonly Playbook[],
  compilePlaybook: (playbook: Playbook) => CompiledPlaybook,
): Map<string, string> {
  const files = new Map<string, string>();
  for (const playbook of playbooks)
    files.set(diagramPagePath(playbook.name), playbookPage(playbook, compilePlaybook(playbook).definition));
  files.set(DIAGRAM_INDEX, playbookIndexPage(playbooks));
  return files;
}

/** The diagram README.md shows inline: the one of README_DIAGRAM_PLAYBOOK, when there is such a playbook. */
function readmeDiagramOf(
  playbooks: readonly Playbook[],
  compilePlaybook: (playbook: Playbook) => CompiledPlaybook,
): string | undefined {
  const playbook = playbooks.find((candidate) => candidate.name === README_DIAGRAM_PLAYBOOK);
  return playbook && mermaidOf(playbook.name, compilePlaybook(playbook).definition);
}

const readIfAny = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

async function load(): Promise<{
  playbooks: readonly Playbook[];
  compilePlaybook: (playbook: Playbook) => CompiledPlaybook;
}> {
  // Playbooks validate when their module loads, so an invalid one throws here, not at a later step.
  const [{ playbooks }, { compilePlaybook }] = await Promise.all([
    import("./index.js"),
    import("./compile.js"),
  ]);
  return { playbooks, compilePlaybook };
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, name] = argv;
  if (command === "compile") {
    const { playbooks, compilePlaybook } = await load();
    if (name === undefined) {
      const all = Object.fromEntries(playbooks.map((p) => [p.name, compilePlaybook(p).definition]));
      process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      return 0;
    }
    const playbook = playbooks.find((candidate) => candidate.name === name);
    if (!playbook) {
      process.stderr.write(`unknown playbook "${name}"; known: ${playbooks.map((p) => p.name).join(", ")}\n`);
      return 2;
    }
    process.stdout.write(goldenText(compilePlaybook(playbook).definition));
    return 0;
  }
  if (command === "golden") {
    const { playbooks, compilePlaybook } = await load();
    mkdirSync(GOLDEN_DIR, { recursive: true });
    for (const playbook of playbooks) {
      const path = `${GOLDEN_DIR}${playbook.name}.asl.json`;
      writeFileSync(path, goldenText(compilePlaybook(playbook).definition));
      process.stdout.write(`wrote ${path}\n`);
    }
    const factsPath = fromRoot(PLAYBOOK_FACTS_FILE);
    writeFileSync(factsPath, playbookFactsModule(playbooks));
    process.stdout.write(`wrote ${factsPath}\n`);
    mkdirSync(fromRoot(DIAGRAM_DIR), { recursive: true });
    for (const [file, text] of diagramFiles(playbooks, compilePlaybook)) {
      writeFileSync(fromRoot(file), text);
      process.stdout.write(`wrote ${fromRoot(file)}\n`);
    }
    const readme = readFileSync(fromRoot("README.md"), "utf8");
    const diagram = readmeDiagramOf(playbooks, compilePlaybook);
    if (diagram !== undefined && readmeDiagram(readme) !== undefined && readmeDiagram(readme) !== diagram) {
      writeFileSync(fromRoot("README.md"), withReadmeDiagram(readme, diagram));
      process.stdout.write(`updated the ${README_DIAGRAM_PLAYBOOK} diagram in ${fromRoot("README.md")}\n`);
    }
    return 0;
  }
  if (command === "validate") {
    let loaded: Awaited<ReturnType<typeof load>>;
    try {
      loaded = await load();
    } catch (error) {
      const issues = (error as { issues?: { message: string }[] }).issues ?? [];
      process.stderr.write(`✕ ${(error as Error).message}\n`);
      for (const issue of issues) process.stderr.write(`  - ${issue.message}\n`);
      return 1;
    }
    let failed = 0;
    if (readFileSync(fromRoot(PLAYBOOK_FACTS_FILE), "utf8") !== playbookFactsModule(loaded.playbooks)) {
      failed++;
      process.stderr.write(
        `✕ ${PLAYBOOK_FACTS_FILE} no longer matches the playbooks: run \`npm run compile-playbooks -- golden\`\n`,
      );
    }
    const stale: string[] = [];
    try {
      for (const [file, text] of diagramFiles(loaded.playbooks, loaded.compilePlaybook)) {
        if (readIfAny(fromRoot(file)) !== text) stale.push(file);
      }
      const diagram = readmeDiagramOf(loaded.playbooks, loaded.compilePlaybook);
      const shown = readmeDiagram(readFileSync(fromRoot("README.md"), "utf8"));
      if (diagram !== undefined && shown === undefined) {
        failed++;
        process.stderr.write('✕ README.md has no ```mermaid block under "## Playbook diagrams"\n');
      } else if (diagram !== undefined && shown !== diagram) {
        stale.push(`README.md (its ${README_DIAGRAM_PLAYBOOK} diagram under "Playbook diagrams")`);
      }
    } catch (error) {
      // A playbook that does not compile is reported below, by name.
      process.stderr.write(`✕ the diagrams could not be drawn: ${(error as Error).message}\n`);
      failed++;
    }
    if (stale.length > 0) {
      failed++;
      process.stderr.write(
        `✕ diagrams no longer match the playbooks: run \`npm run compile-playbooks -- golden\`\n` +
          stale.map((file) => `  - ${file}\n`).join(""),
      );
    }
    for (const playbook of loaded.playbooks) {
      let problems: string[];
      try {
        problems = problemsOf(loaded.compilePlaybook(playbook));
      } catch (error) {
        problems = [`does not compile: ${(error as Error).message}`];
      }
      if (problems.length === 0) {
        process.stdout.write(`✓ ${playbook.name}\n`);
        continue;
      }
      failed++;
      process.stderr.write(`✕ ${playbook.name}\n${problems.map((problem) => `  - ${problem}\n`).join("")}`);
    }
    return failed === 0 ? 0 : 1;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `compile | head` closes the pipe early; that is not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
