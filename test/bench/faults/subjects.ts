/**
 * What one run is about: a leaked OpenAI key, an LLMjacked IAM key, an abusive end user, or an ops alert. Every
 * identifier is the run's own (derived from its number), so concurrent runs never touch each other's incidents,
 * provider resources or Slack cards, and every provider write the stand-ins record belongs to exactly one run.
 */
import type { Prng } from "./prng.js";

export const REPOSITORY = "example-corp/support-chat-service";

export type Subject =
  | {
      readonly kind: "leaked-key";
      readonly alertNumber: number;
      readonly projectId: string;
      readonly keyId: string;
      readonly secret: string;
      /** GitHub's check of the key: an inactive one is closed by policy `auto`, an active one needs a human. */
      readonly validity: "active" | "inactive";
    }
  | {
      readonly kind: "llmjacking";
      readonly userName: string;
      readonly accessKeyId: string;
      readonly findingId: string;
    }
  | { readonly kind: "end-user"; readonly userId: string; readonly dedupKey: string }
  | { readonly kind: "ops-alert"; readonly fingerprint: string; readonly tenant: string };

export type SubjectKind = Subject["kind"];

/** Keys per OpenAI project: find-leaked-key lists every project's keys, 100 to a page. */
const KEYS_PER_PROJECT = 100;

const base36 = (run: number, width: number) => run.toString(36).padStart(width, "0");

export function subjectFor<K extends SubjectKind>(
  kind: K,
  run: number,
  prng: Prng,
  validity: "active" | "inactive" = "active",
): Extract<Subject, { kind: K }> {
  return subjectOf(kind, run, prng, validity) as Extract<Subject, { kind: K }>;
}

function subjectOf(kind: SubjectKind, run: number, prng: Prng, validity: "active" | "inactive"): Subject {
  switch (kind) {
    case "leaked-key":
      return {
        kind,
        alertNumber: 100_000 + run,
        projectId: `proj_faults_${Math.floor(run / KEYS_PER_PROJECT)}`,
        keyId: `key_faults_${run}`,
        // OpenAI shows a key as its first 6 and last 4 characters: the last 4 are the run's, so exactly one matches.
        secret: `sk-proj-FAULTS${prng.hex(24)}${base36(run, 4)}`,
        validity,
      };
    case "llmjacking":
      return {
        kind,
        userName: `svc-faults-${run}`,
        accessKeyId: `AKIAF${base36(run, 6).toUpperCase()}${prng.hex(9).toUpperCase()}`,
        findingId: `${run.toString(16).padStart(8, "0")}${prng.hex(24)}`,
      };
    case "end-user": {
      const userId = `usr-faults-${run}-${prng.hex(6)}`;
      return { kind, userId, dedupKey: `jailbreak:${userId}` };
    }
    case "ops-alert":
      return {
        kind,
        fingerprint: `${run.toString(16).padStart(8, "0")}${prng.hex(8)}`,
        tenant: `tn_f${run}`,
      };
  }
}

/** The dedup key Quell gives the subject's alerts (how the harness finds the run's incidents). */
export function incidentDedupKey(subject: Subject, repositoryId: number): string {
  switch (subject.kind) {
    case "leaked-key":
      return `github:${repositoryId}:secret_scanning:${subject.alertNumber}`;
    case "llmjacking":
      return `guardduty:${subject.findingId}`;
    case "end-user":
      return `generic:${subject.dedupKey}`;
    case "ops-alert":
      return `alertmanager:${subject.fingerprint}`;
  }
}

/**
 * A pattern found in every Slack message about the subject (card and thread), so a Slack fault hits this run's
 * messages only.
 */
export function slackMarker(subject: Subject): RegExp {
  switch (subject.kind) {
    case "leaked-key":
      return new RegExp(`secret-scanning/${subject.alertNumber}(?!\\d)`);
    case "llmjacking":
      return new RegExp(`${subject.userName}(?!\\d)`);
    case "end-user":
      return new RegExp(subject.userId);
    case "ops-alert":
      return new RegExp(`${subject.tenant}(?!\\d)`);
  }
}
