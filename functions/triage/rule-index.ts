import type { CanonicalAlert } from "../shared/alert.js";
import type { AlertMatch } from "./config.js";

/**
 * Routing and suppression rules, indexed by the one condition each is most selective on (the entity it
 * names, its dedup key, its sources, its types), so an alert is tested only against the rules it could
 * match, in their order: the first rule that matches is the one a scan of them all would find. Rules with
 * none of those conditions are tested for every alert.
 */
export class RuleIndex<Rule extends { readonly match: AlertMatch }> {
  private readonly always: number[] = [];
  /** By entity kind, then id. */
  private readonly byEntity = new Map<string, Map<string, number[]>>();
  private readonly byDedupKey = new Map<string, number[]>();
  private readonly bySource = new Map<string, number[]>();
  private readonly byType = new Map<string, number[]>();

  constructor(private readonly rules: readonly Rule[]) {
    rules.forEach(({ match }, index) => {
      if (match.entity) {
        const { kind, id } = match.entity;
        const byId = this.byEntity.get(kind) ?? new Map<string, number[]>();
        this.byEntity.set(kind, byId);
        file(byId, [id], index);
      } else if (match.dedupKey !== undefined) file(this.byDedupKey, [match.dedupKey], index);
      else if (match.sources) file(this.bySource, match.sources, index);
      else if (match.types) file(this.byType, match.types, index);
      else this.always.push(index);
    });
  }

  /** The first rule, in order, that could match the alert and that `holds`. */
  first(alert: CanonicalAlert, holds: (rule: Rule) => boolean): Rule | undefined {
    // No closures here: this runs for every alert, twice (routing and suppression).
    let candidates = withBucket(this.always, this.bySource.get(alert.source));
    candidates = withBucket(candidates, this.byType.get(alert.type));
    candidates = withBucket(candidates, this.byDedupKey.get(alert.dedupKey));
    if (this.byEntity.size > 0)
      for (const entity of alert.entities)
        candidates = withBucket(candidates, this.byEntity.get(entity.kind)?.get(entity.id));
    if (candidates !== this.always) candidates.sort(ascending);
    for (const index of candidates) {
      const rule = this.rules[index] as Rule;
      if (holds(rule)) return rule;
    }
    return undefined;
  }
}

/** The candidates with a bucket's rule indexes added (a new array: `always` is never changed). */
const withBucket = (candidates: number[], bucket: readonly number[] | undefined) =>
  bucket ? candidates.concat(bucket) : candidates;
const ascending = (a: number, b: number) => a - b;

function file(buckets: Map<string, number[]>, keys: readonly string[], index: number) {
  for (const key of new Set(keys)) {
    const bucket = buckets.get(key);
    if (bucket) bucket.push(index);
    else buckets.set(key, [index]);
  }
}

const indexes = new WeakMap<readonly unknown[], RuleIndex<{ readonly match: AlertMatch }>>();

/** The index of a configuration's rules, made once per list (configurations are not changed once loaded). */
export function indexOf<Rule extends { readonly match: AlertMatch }>(
  rules: readonly Rule[],
): RuleIndex<Rule> {
  let index = indexes.get(rules) as RuleIndex<Rule> | undefined;
  if (!index) {
    index = new RuleIndex(rules);
    indexes.set(rules, index);
  }
  return index;
}
