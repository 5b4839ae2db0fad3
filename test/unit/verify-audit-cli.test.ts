import { describe, expect, it } from "vitest";
import { CHAIN_START, chainEntry } from "../../functions/shared/audit-chain.js";
import { parseVerifyAuditArgs, runVerifyAudit } from "../../infra/local/verify-audit.js";

/** Issue 16: `npm run quell -- verify-audit` reads its arguments strictly and reports every chain it reads. */
describe("verify-audit's command line", () => {
  it("takes an incident id, or --aws with --table and an optional --bucket", () => {
    expect(parseVerifyAuditArgs([])).toEqual({ aws: false });
    expect(parseVerifyAuditArgs(["inc_01abc"])).toEqual({ aws: false, incidentId: "inc_01abc" });
    expect(parseVerifyAuditArgs(["--aws", "--table", "Quell-dev-Data-Incidents", "--bucket", "b"])).toEqual({
      aws: true,
      table: "Quell-dev-Data-Incidents",
      bucket: "b",
    });
  });

  it.each([
    [["--aws"], "verify-audit --aws needs --table <incidents table>"],
    [["--table", "t"], "--table and --bucket go with --aws"],
    [["inc_a", "inc_b"], "verify-audit takes one incident id at most, got 2"],
    [["../etc/passwd"], 'not an incident id: "../etc/passwd"'],
  ])("refuses %j: %s", (args, error) => {
    expect(parseVerifyAuditArgs(args)).toEqual({ error });
  });

  it("refuses an option it does not know, naming it", () => {
    expect(parseVerifyAuditArgs(["--fix"])).toEqual({ error: expect.stringContaining("--fix") });
  });
});

describe("verify-audit's report", () => {
  const whole = (incidentId: string) => {
    const first = chainEntry(incidentId, undefined, { kind: "received", summary: "one", at: "t1" });
    const second = chainEntry(incidentId, first, { kind: "triaged", summary: "two", at: "t2" });
    return { entries: [first, second], head: { seq: 2, hash: second.hash } };
  };

  it("reads every incident the source lists and exits 1 when one chain is broken", async () => {
    const good = whole("inc_whole");
    const edited = whole("inc_edited");
    edited.entries[0] = { ...edited.entries[0], summary: "forged" } as (typeof edited.entries)[0];
    const chains: Record<string, typeof good> = { inc_whole: good, inc_edited: edited };
    const lines: string[] = [];
    const code = await runVerifyAudit(
      {
        async *incidentIds() {
          yield* ["inc_whole", "inc_edited"];
        },
        chain: async (id) => chains[id],
        witnessed: async () => [],
      },
      undefined,
      (line) => lines.push(line),
    );
    expect(code).toBe(1);
    expect(lines[0]).toBe(`ok      inc_whole  2 entries, head 2 ${good.head.hash.slice(0, 12)}`);
    expect(lines[1]).toBe(
      "BROKEN  inc_edited  entry 1 at t1 (received) does not match its hash: it was edited after it was written",
    );
    expect(lines[2]).toBe("2 chains checked, 1 broken");
    expect(good.entries[0]?.prevHash).toBe(CHAIN_START);
  });
});
