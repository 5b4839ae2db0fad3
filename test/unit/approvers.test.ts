import { describe, expect, it } from "vitest";
import { createApproverDirectory } from "../../functions/slack/approvers.js";

describe("approver directory (user ids and user groups)", () => {
  function directory(groups: Record<string, string[]>, options: { failFirst?: boolean } = {}) {
    const calls: string[] = [];
    let clock = 0;
    let failures = options.failFirst ? 1 : 0;
    const approvers = createApproverDirectory({
      now: () => clock,
      ttlMs: 1000,
      async listGroup(groupId) {
        calls.push(groupId);
        if (failures-- > 0) throw new Error("ratelimited");
        return groups[groupId] ?? [];
      },
    });
    return { approvers, calls, advance: (ms: number) => (clock += ms) };
  }

  it("accepts listed user ids without asking Slack", async () => {
    const { approvers, calls } = directory({});
    expect(await approvers.includes(["U0ONE", "S0ONCALL"], "U0ONE")).toBe(true);
    expect(calls).toEqual([]);
  });

  it("resolves user groups, caching members until the cache expires", async () => {
    const { approvers, calls, advance } = directory({ S0ONCALL: ["U0TWO", "U0THREE"] });
    expect(await approvers.includes(["S0ONCALL"], "U0TWO")).toBe(true);
    expect(await approvers.includes(["S0ONCALL"], "U0THREE")).toBe(true);
    expect(await approvers.includes(["S0ONCALL"], "U0OUTSIDER")).toBe(false);
    expect(calls).toEqual(["S0ONCALL"]);
    advance(1001);
    await approvers.includes(["S0ONCALL"], "U0TWO");
    expect(calls).toEqual(["S0ONCALL", "S0ONCALL"]);
  });

  it("does not cache a failed lookup: the click fails closed and the next one asks again", async () => {
    const { approvers, calls } = directory({ S0ONCALL: ["U0TWO"] }, { failFirst: true });
    await expect(approvers.includes(["S0ONCALL"], "U0TWO")).rejects.toThrow("ratelimited");
    expect(await approvers.includes(["S0ONCALL"], "U0TWO")).toBe(true);
    expect(calls).toEqual(["S0ONCALL", "S0ONCALL"]);
  });

  it("never treats a user id that looks like nothing special as a group", async () => {
    const { approvers, calls } = directory({});
    expect(await approvers.includes(["U0ONE"], "U0TWO")).toBe(false);
    expect(calls).toEqual([]);
  });
});
