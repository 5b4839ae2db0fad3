/**
 * Who may decide: Slack user ids (`U…`, `W…`) and user groups (`S…`), the groups resolved with
 * `usergroups.users.list` and cached for a few minutes, so a click costs at most one Slack call per group.
 */
export interface ApproverDirectory {
  /** Whether `userId` is one of `approvers`, directly or through a user group. */
  includes(approvers: readonly string[], userId: string): Promise<boolean>;
}

export function createApproverDirectory(options: {
  listGroup: (groupId: string) => Promise<readonly string[]>;
  ttlMs?: number;
  now?: () => number;
}): ApproverDirectory {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { members: Promise<readonly string[]>; at: number }>();
  const members = (groupId: string) => {
    const cached = cache.get(groupId);
    if (cached && now() - cached.at < ttlMs) return cached.members;
    const fresh = options.listGroup(groupId);
    cache.set(groupId, { members: fresh, at: now() });
    // A failed lookup is not cached: the next click asks again.
    fresh.catch(() => cache.delete(groupId));
    return fresh;
  };
  return {
    async includes(approvers, userId) {
      if (approvers.includes(userId)) return true;
      for (const groupId of approvers.filter((id) => id.startsWith("S"))) {
        if ((await members(groupId)).includes(userId)) return true;
      }
      return false;
    },
  };
}
