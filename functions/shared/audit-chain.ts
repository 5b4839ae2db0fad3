import { canonicalJson, sha256Hex } from "./hash.js";

/**
 * The tamper-evident timeline. Each entry of an incident's timeline carries its place in the incident's chain
 * (`seq`, from 1), the hash of the entry before it (`prevHash`) and its own `hash`: SHA-256 of the canonical JSON
 * of the incident id and every stored field of the entry but the keys and the hash itself. The chain's head (the
 * last `seq` and `hash`) is kept in an item of its own, written in the same transaction as each entry, so an entry
 * edited, inserted, removed or cut off the end breaks a link that `verifyAuditChain` names. Chain order is the
 * order of writing, which may differ from timeline order (an entry can be dated earlier than one written before it).
 */

/** The `prevHash` of an incident's first entry. */
export const CHAIN_START = "0".repeat(64);

/** The sort key of an incident's chain head. */
export const CHAIN_HEAD_SORT_KEY = "CHAIN";

/**
 * Where a chain head is exported to the audit bucket (on AWS, Object Lock): one object per incident and place,
 * never overwritten, so a later export cannot hide an earlier one.
 */
export const auditHeadKey = (incidentId: string, seq: number) =>
  `${auditHeadsPrefix(incidentId)}${String(seq).padStart(10, "0")}.json`;
export const auditHeadsPrefix = (incidentId: string) => `heads/${incidentId}/`;

/** Where an incident's chain ends: its last entry's place and hash. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** Stored fields that are not an entry's content: the table's keys, its entity marker and the hash itself. */
const NOT_HASHED = new Set(["pk", "sk", "entity", "hash"]);

/** The hash an entry must carry: over the incident id and every other stored field, its `seq` and `prevHash` too. */
export function entryHash(incidentId: string, entry: Readonly<Record<string, unknown>>): string {
  const content = Object.fromEntries(Object.entries(entry).filter(([key]) => !NOT_HASHED.has(key)));
  return sha256Hex(canonicalJson({ incidentId, entry: content }));
}

/** The entry that follows `head` (undefined: the chain's first), linked and hashed. */
export function chainEntry<T extends Record<string, unknown>>(
  incidentId: string,
  head: ChainHead | undefined,
  entry: T,
): T & { seq: number; prevHash: string; hash: string } {
  const linked = { ...entry, seq: (head?.seq ?? 0) + 1, prevHash: head?.hash ?? CHAIN_START };
  return { ...linked, hash: entryHash(incidentId, linked) };
}

/** The first problem found in a chain, with the entry it was found at. */
export interface ChainBreak {
  readonly seq: number | null;
  readonly at: string | null;
  readonly kind: string | null;
  readonly problem: string;
}

export interface ChainVerdict {
  readonly incidentId: string;
  readonly entries: number;
  readonly head: ChainHead | null;
  readonly broken: ChainBreak | null;
}

/** An exported head (S3, Object Lock) the chain must still contain: that `seq` with that `hash`. */
export interface WitnessedHead extends ChainHead {
  readonly source: string;
}

const missing = (from: number, to: number) =>
  from === to ? `entry ${from} is missing` : `entries ${from}–${to} are missing`;

const describe = (entry: Readonly<Record<string, unknown>>): Omit<ChainBreak, "problem"> => ({
  seq: typeof entry.seq === "number" ? entry.seq : null,
  at: typeof entry.at === "string" ? entry.at : null,
  kind: typeof entry.kind === "string" ? entry.kind : null,
});

/**
 * Recompute an incident's chain from its stored timeline entries (in any order) and its stored head, and name the
 * first broken entry: one without a link (written around Quell), a place missing or taken twice (removed or
 * inserted), a `prevHash` that is not the hash before it, a `hash` its content does not give (edited), or a last
 * entry that is not the head (cut off the end). `witnessed` heads, exported where the table's writers cannot change
 * them, must still be in the chain as exported: a chain rewritten from some entry on is caught there.
 */
export function verifyAuditChain(
  incidentId: string,
  entries: readonly Readonly<Record<string, unknown>>[],
  head: ChainHead | undefined,
  witnessed: readonly WitnessedHead[] = [],
): ChainVerdict {
  const verdict = (broken: ChainBreak | null): ChainVerdict => ({
    incidentId,
    entries: entries.length,
    head: head ?? null,
    broken,
  });
  const unlinked = entries.find((entry) => typeof entry.seq !== "number" || typeof entry.hash !== "string");
  if (unlinked) {
    return verdict({ ...describe(unlinked), problem: "carries no chain link: it was not written by Quell" });
  }
  const ordered = [...entries].sort((a, b) => Number(a.seq) - Number(b.seq));
  let previous: ChainHead = { seq: 0, hash: CHAIN_START };
  for (const entry of ordered) {
    const problem =
      entry.seq === previous.seq
        ? `takes place ${previous.seq} a second time: an entry was inserted`
        : entry.seq !== previous.seq + 1
          ? `follows entry ${previous.seq}: ${missing(previous.seq + 1, Number(entry.seq) - 1)}`
          : entry.prevHash !== previous.hash
            ? `does not link to entry ${previous.seq} (prevHash differs): the chain was rewritten`
            : entryHash(incidentId, entry) !== entry.hash
              ? "does not match its hash: it was edited after it was written"
              : undefined;
    if (problem) return verdict({ ...describe(entry), problem });
    previous = { seq: entry.seq as number, hash: entry.hash as string };
  }
  const last = ordered.at(-1);
  if ((head?.seq ?? 0) !== previous.seq || (head && head.hash !== previous.hash)) {
    return verdict({
      ...(last ? describe(last) : { seq: null, at: null, kind: null }),
      problem: head
        ? `ends at entry ${previous.seq} but its head is entry ${head.seq}: entries were removed from the end`
        : "has entries but no head: the head was removed",
    });
  }
  for (const mark of witnessed) {
    const entry = ordered[mark.seq - 1];
    if (!entry || entry.hash !== mark.hash) {
      return verdict({
        ...(entry ? describe(entry) : { seq: mark.seq, at: null, kind: null }),
        problem: entry
          ? `differs from the head exported to ${mark.source}: the chain was rewritten from here or before`
          : `is missing, yet ${mark.source} holds it as exported: entries were removed`,
      });
    }
  }
  return verdict(null);
}
