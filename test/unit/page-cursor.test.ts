import { describe, expect, it } from "vitest";
import { ValidationError } from "../../functions/shared/errors.js";
import { decodeCursor, encodeCursor } from "../../functions/shared/page-cursor.js";
import { pageOf } from "../../infra/local/pagination.js";

const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("list cursors and page queries", () => {
  it("gives back the key it encoded", () => {
    const key = { pk: "REJECT#2026-11-26", sk: "2026-11-26T10:15:00.000Z#a1b2" };
    expect(decodeCursor(encodeCursor(key), ["pk", "sk"] as const)).toEqual(key);
  });

  it.each([
    ["not base64url", "a+b/c="],
    ["not JSON", Buffer.from("{nope").toString("base64url")],
    ["an array", encoded(["pk", "sk"])],
    ["a missing field", encoded({ pk: "x" })],
    ["an extra field", encoded({ pk: "x", sk: "y", admin: "true" })],
    ["a field that is not a string", encoded({ pk: "x", sk: 1 })],
    ["an empty field", encoded({ pk: "", sk: "y" })],
    ["an oversized cursor", "a".repeat(2049)],
  ])("refuses %s as a ValidationError naming the cursor", (_name, cursor) => {
    expect(() => decodeCursor(cursor, ["pk", "sk"] as const)).toThrow(ValidationError);
    expect(() => decodeCursor(cursor, ["pk", "sk"] as const)).toThrow(/cursor/);
  });

  it.each([
    ["", { ok: true, page: { limit: 50 } }],
    ["limit=1", { ok: true, page: { limit: 1 } }],
    ["limit=200&cursor=abc", { ok: true, page: { limit: 200, cursor: "abc" } }],
    ["limit=0", { ok: false }],
    ["limit=201", { ok: false }],
    ["limit=-1", { ok: false }],
    ["limit=1.5", { ok: false }],
    ["limit=", { ok: false }],
  ])("?%s", (query, expected) => {
    expect(pageOf(new URLSearchParams(query))).toMatchObject(expected);
  });
});
