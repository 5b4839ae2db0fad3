import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type * as z from "zod";
import { EnvNames } from "../shared/env.js";
import { ConfigurationError } from "../shared/errors.js";
import { TriageConfig } from "./config.js";

/**
 * The triage configuration at run time: read, validated and kept fresh. Nothing here carries an example: on AWS
 * it is the AppConfig configuration the stack deploys from the team's file, locally the team's file itself.
 * Routes are checked against the playbooks only when the caller passes their names (triage does; ingest, which
 * reads only the GitHub allow-list, does not carry the playbooks in its bundle).
 */

export type TriageCheck =
  | { readonly ok: true; readonly config: TriageConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

/** `path: message` for each zod issue, under `prefix` (e.g. `triage`). */
export function problemsOf(issues: readonly z.core.$ZodIssue[], prefix?: string): string[] {
  return issues.map((issue) => {
    const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)].join(".");
    return `${path || "(root)"}: ${issue.message}`;
  });
}

/**
 * Routes and playbook modes naming a playbook that does not exist, by path (`triage.routes.3.playbook: no playbook
 * named x`, `triage.playbooks.x: no playbook named x`).
 */
export function unknownPlaybookProblems(
  input: unknown,
  knownPlaybooks: readonly string[],
  prefix?: string,
): string[] {
  const known = new Set(knownPlaybooks);
  const at = (path: string) => (prefix ? `${prefix}.${path}` : path);
  const unknown = (path: string, playbook: string) =>
    `${at(path)}: no playbook named ${JSON.stringify(playbook)} (known: ${[...known].join(", ")})`;
  const { routes, playbooks } = (input ?? {}) as { routes?: unknown; playbooks?: unknown };
  const routeProblems = (Array.isArray(routes) ? routes : []).flatMap((route: unknown, index) => {
    const playbook = (route as { playbook?: unknown } | null)?.playbook;
    return typeof playbook === "string" && !known.has(playbook)
      ? [unknown(`routes.${index}.playbook`, playbook)]
      : [];
  });
  const named = playbooks && typeof playbooks === "object" ? Object.keys(playbooks) : [];
  const modeProblems = named
    .filter((name) => !known.has(name))
    .map((name) => unknown(`playbooks.${name}`, name));
  return [...routeProblems, ...modeProblems];
}

/** Validate a triage configuration, reporting every bad field at once. */
export function checkTriageConfig(
  input: unknown,
  options: { readonly knownPlaybooks?: readonly string[]; readonly prefix?: string } = {},
): TriageCheck {
  const parsed = TriageConfig.safeParse(input);
  const problems = [
    ...(parsed.success ? [] : problemsOf(parsed.error.issues, options.prefix)),
    ...(options.knownPlaybooks ? unknownPlaybookProblems(input, options.knownPlaybooks, options.prefix) : []),
  ];
  return parsed.success && problems.length === 0
    ? { ok: true, config: parsed.data }
    : { ok: false, problems };
}

/** What a source found: the text as read, and a short fingerprint of it to name the version in logs. */
export interface FetchedConfig {
  readonly text: string;
  readonly version: string;
}

/** Where the triage configuration lives, and which part of the JSON there is triage's. */
export interface TriageConfigLocation {
  readonly description: string;
  /** `triage`: the team file's triage part; `whole`: the document is the triage configuration. */
  readonly part: "triage" | "whole";
  /** A cheap check for a change (a file's mtime and size); undefined where there is none (AppConfig). */
  readonly changeMarker?: () => string;
  readonly fetch: () => Promise<FetchedConfig>;
}

export const fingerprint = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

/** A JSON file: the team configuration file (`part: "triage"`) or a triage-only file (`part: "whole"`). */
export function fileLocation(path: string, part: TriageConfigLocation["part"]): TriageConfigLocation {
  return {
    description: `${part === "triage" ? "team configuration" : "triage configuration"} file ${path}`,
    part,
    changeMarker: () => {
      const stat = statSync(path);
      return `${stat.mtimeMs}:${stat.size}`;
    },
    fetch: async () => {
      const text = readFileSync(path, "utf8");
      return { text, version: fingerprint(text) };
    },
  };
}

/** What is logged when a version is refused (a Powertools Logger fits). */
export interface ConfigLog {
  error(message: string, attributes: Record<string, unknown>): void;
  info?(message: string, attributes: Record<string, unknown>): void;
}

export interface TriageConfigSource {
  /** The configuration in force: refreshed at most once per max age; the last good one if a new one is bad. */
  get(): Promise<TriageConfig>;
}

/**
 * Keeps the last good configuration. Every `maxAgeSeconds` it looks again (for a file, only when its mtime or size
 * moved); a new version is validated, and one that fails is refused with an error log naming the fields while the
 * last good one stays in force (fail safe). With no good version yet, get() throws that message.
 */
export class RefreshingTriageConfig implements TriageConfigSource {
  private good: { readonly config: TriageConfig; readonly version: string } | undefined;
  private refused: { readonly version: string; readonly error: ConfigurationError } | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private marker: string | undefined;

  constructor(
    private readonly location: TriageConfigLocation,
    private readonly options: {
      readonly maxAgeSeconds: number;
      readonly knownPlaybooks?: readonly string[];
      readonly log?: ConfigLog;
      readonly now?: () => number;
    },
  ) {}

  async get(): Promise<TriageConfig> {
    const now = (this.options.now ?? Date.now)();
    if (now - this.checkedAt >= this.options.maxAgeSeconds * 1000) {
      await this.refresh();
      this.checkedAt = now;
    }
    if (this.good) return this.good.config;
    throw this.refused?.error ?? new ConfigurationError(`${this.location.description}: not read yet`);
  }

  private async refresh(): Promise<void> {
    const { location } = this;
    let fetched: FetchedConfig;
    try {
      const marker = location.changeMarker?.();
      if (marker !== undefined && marker === this.marker) return;
      fetched = await location.fetch();
      this.marker = marker;
    } catch (error) {
      return this.refuse("unreadable", [(error as Error).message]);
    }
    if (fetched.version === this.good?.version || fetched.version === this.refused?.version) return;
    const checked = this.check(fetched.text);
    if (!checked.ok) return this.refuse(fetched.version, checked.problems);
    const replaced = this.good?.version;
    this.good = { config: checked.config, version: fetched.version };
    this.refused = undefined;
    if (replaced) this.options.log?.info?.("triage configuration updated", { ...this.where(), replaced });
  }

  private check(text: string): TriageCheck {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      return { ok: false, problems: [`not JSON: ${(error as Error).message}`] };
    }
    const triage = this.location.part === "triage";
    if (triage && (typeof document !== "object" || document === null || !("triage" in document))) {
      return { ok: false, problems: ["triage: required (the team file's triage part)"] };
    }
    return checkTriageConfig(triage ? (document as { triage: unknown }).triage : document, {
      ...(this.options.knownPlaybooks ? { knownPlaybooks: this.options.knownPlaybooks } : {}),
      ...(triage ? { prefix: "triage" } : {}),
    });
  }

  private refuse(version: string, problems: readonly string[]): void {
    const keeping = this.good?.version;
    const message =
      `${this.location.description}: version ${version} refused` +
      `${keeping ? `, keeping version ${keeping}` : " and no good version to keep"}:\n  ${problems.join("\n  ")}`;
    this.refused = { version, error: new ConfigurationError(message) };
    this.options.log?.error("triage configuration refused", { ...this.where(), version, problems, keeping });
  }

  private where() {
    return { configuration: this.location.description, version: this.good?.version };
  }
}

/** The variables that say where the triage configuration is; infra and the local runtime set them. */
export type TriageConfigEnv = Partial<Record<string, string | undefined>>;

export const DEFAULT_CONFIG_MAX_AGE_SECONDS = 60;

/**
 * The file location the environment names, else undefined: `QUELL_CONFIG_FILE` (the team file) wins over
 * `QUELL_TRIAGE_CONFIG_FILE` (a triage-only file, kept for compatibility).
 */
export function fileLocationFrom(env: TriageConfigEnv): TriageConfigLocation | undefined {
  const teamFile = env[EnvNames.configFile];
  if (teamFile) return fileLocation(teamFile, "triage");
  const triageFile = env[EnvNames.triageConfigFile];
  if (triageFile) return fileLocation(triageFile, "whole");
  return undefined;
}

export const NO_CONFIGURATION =
  `no triage configuration: on AWS the stack sets ${EnvNames.appConfigApplication}, ${EnvNames.appConfigEnvironment} ` +
  `and ${EnvNames.appConfigProfile}; locally set ${EnvNames.configFile} to the team configuration file ` +
  "(npm start defaults to playbooks/quell.example.json)";

export function maxAgeFrom(env: TriageConfigEnv): number {
  const value = env[EnvNames.configMaxAgeSeconds];
  if (value === undefined || value === "") return DEFAULT_CONFIG_MAX_AGE_SECONDS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new ConfigurationError(`${EnvNames.configMaxAgeSeconds} must be a number of seconds ≥ 0: ${value}`);
  }
  return seconds;
}
