import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseRawJson } from "../../functions/shared/raw-json.js";

const utf8 = (text: string) => new TextEncoder().encode(text);
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("parseRawJson", () => {
  it("parses a well-formed body", () => {
    expect(parseRawJson(utf8('{"a":[1,{"b":"c"}]}'))).toEqual({ ok: true, value: { a: [1, { b: "c" }] } });
  });

  it.each([
    ["a lone 0xFF byte", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]],
    ["an overlong encoding of '/'", [0x22, 0xc0, 0xaf, 0x22]],
    ["an encoded UTF-16 surrogate", [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ["a truncated multi-byte sequence", [0x22, 0xe2, 0x82, 0x22]],
  ])("refuses invalid UTF-8 (%s) instead of decoding it to U+FFFD", (_name, raw) => {
    expect(parseRawJson(Uint8Array.from(raw))).toEqual({ ok: false, message: "body is not valid UTF-8" });
  });

  it.each([
    ["empty", ""],
    ["whitespace", " \n\t\r "],
  ])("refuses an %s body", (_name, body) => {
    expect(parseRawJson(utf8(body))).toEqual({ ok: false, message: "body is empty" });
  });

  it("accepts nesting exactly at the limit (64) and refuses one level more", () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    expect(parseRawJson(utf8(nested(64))).ok).toBe(true);
    const refused = parseRawJson(utf8(nested(65)));
    expect(refused).toEqual({ ok: false, message: "JSON nests 65 levels deep; the limit is 64" });
  });

  it("counts objects and arrays alike", () => {
    const objects = (depth: number) => `${'{"k":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
    expect(parseRawJson(utf8(objects(64))).ok).toBe(true);
    expect(parseRawJson(utf8(objects(65))).ok).toBe(false);
  });

  it("does not count brackets inside strings", () => {
    const opening = parseRawJson(utf8(JSON.stringify({ s: "[{".repeat(100) })));
    expect(opening).toEqual({ ok: true, value: { s: "[{".repeat(100) } });
    // Closing brackets in a string must not "pay back" depth either.
    const closing = `{"s":"${"]}".repeat(10)}","d":${nested(65)}}`;
    expect(parseRawJson(utf8(closing))).toMatchObject({ ok: false, message: expect.stringContaining("66") });
  });

  it("keeps an escaped quote inside its string", () => {
    const text = JSON.stringify({ s: `say "${"[".repeat(70)}" twice` });
    expect(parseRawJson(utf8(text))).toEqual({ ok: true, value: { s: `say "${"[".repeat(70)}" twice` } });
  });

  it("ends a string after an escaped backslash, so brackets after it count", () => {
    // "\\" is one backslash and then the closing quote; the 65-deep array after it is real.
    const text = `{"s":"\\\\","d":${nested(65)}}`;
    expect(parseRawJson(utf8(text))).toMatchObject({ ok: false, message: expect.stringContaining("66") });
  });

  it("refuses 5000-deep nesting without overflowing the stack", () => {
    expect(parseRawJson(utf8(nested(5000)))).toEqual({
      ok: false,
      message: "JSON nests 5000 levels deep; the limit is 64",
    });
    expect(parseRawJson(utf8(`{"a":${"[".repeat(5000)}`)).ok).toBe(false);
  });

  it.each([
    ["a trailing word", '{"a":1} x'],
    ["a second value", '{"a":1}{}'],
    ["a trailing comma", '{"a":1,}'],
  ])("refuses %s", (_name, body) => {
    expect(parseRawJson(utf8(body))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^body is not JSON: /),
    });
  });

  it("parses a top-level null (schemas reject it later)", () => {
    expect(parseRawJson(utf8("null"))).toEqual({ ok: true, value: null });
  });
});
