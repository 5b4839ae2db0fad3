import { describe, expect, it } from "vitest";
import { listAllTokenPages } from "../../functions/actions/paged-list.js";
import { QuellError } from "../../functions/shared/errors.js";

describe("listAllTokenPages", () => {
  it("reads every page, sending no token first and then the token each page gives", async () => {
    const sent: object[] = [];
    const pages = [{ items: [1, 2], nextToken: "b" }, { items: undefined, nextToken: "c" }, { items: [3] }];
    const items = await listAllTokenPages(async (from) => {
      sent.push(from);
      return pages[sent.length - 1] ?? { items: [] };
    }, "ListThings");
    expect(items).toEqual([1, 2, 3]);
    expect(sent).toEqual([{}, { nextToken: "b" }, { nextToken: "c" }]);
  });

  it("stops after 50 pages with an error naming the listing", async () => {
    let reads = 0;
    const endless = listAllTokenPages(async () => {
      reads += 1;
      return { items: [reads], nextToken: "again" };
    }, "ListThings thing-1");
    await expect(endless).rejects.toThrow(QuellError);
    await expect(endless).rejects.toThrow("ListThings thing-1 did not end after 50 pages");
    expect(reads).toBe(50);
  });
});
