import type { Entity } from "../shared/alert.js";
import { identityKey, type Person } from "./config.js";

/** Entity kinds that name who did it: only these make a person the subject of an alert. */
const SUBJECT_KINDS: ReadonlySet<Entity["kind"]> = new Set(["principal", "end_user"]);

/**
 * The Slack users an alert is about: the configured people with an identity equal to one of the alert's
 * principal or end-user entity ids. They are excluded from approving actions against themselves.
 */
export function subjectSlackUsers(people: readonly Person[], entities: readonly Entity[]): string[] {
  const ids = new Set(
    entities.filter((entity) => SUBJECT_KINDS.has(entity.kind)).map((entity) => identityKey(entity.id)),
  );
  if (ids.size === 0) return [];
  return people
    .filter((person) => person.identities.some((identity) => ids.has(identityKey(identity))))
    .map((person) => person.slackUserId);
}
