import fc from "fast-check";
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

  describe("duplicate keys", () => {
    const duplicate = (key: string, at: string) =>
      `duplicate key ${key} in object at ${at}: JSON parsers disagree on which value wins, so the body is ambiguous`;

    it("refuses one at the top level, naming the key, the object and the issue path", () => {
      // JSON.parse alone would keep "Triggered"; another parser could keep "Recovered".
      expect(parseRawJson(utf8('{"transition":"Recovered","title":"t","transition":"Triggered"}'))).toEqual({
        ok: false,
        message: duplicate('"transition"', "$"),
        issue: { path: "transition", message: 'duplicate key "transition"; send each key once per object' },
      });
    });

    it("refuses one nested in objects and in arrays of objects, with the JSON path of the object", () => {
      expect(parseRawJson(utf8('{"a":{"b":{"c":1,"d":2,"c":3}}}'))).toMatchObject({
        ok: false,
        message: duplicate('"c"', "$.a.b"),
        issue: { path: "a.b.c" },
      });
      expect(parseRawJson(utf8('{"alerts":[{"id":1},{"id":2,"labels":{"x":"1"},"id":3}]}'))).toMatchObject({
        ok: false,
        message: duplicate('"id"', "$.alerts[1]"),
        issue: { path: "alerts.1.id" },
      });
      expect(parseRawJson(utf8('[[0,{"k":1}],[1,2,{"k":1,"k":1}]]'))).toMatchObject({
        message: duplicate('"k"', "$[1][2]"),
        issue: { path: "1.2.k" },
      });
    });

    it("refuses the same duplicate with whitespace anywhere JSON allows it", () => {
      const text = ' \n{ "a" :\t1 ,\r\n  "b" : [ ] , "a"\n:\n2 }\n';
      expect(parseRawJson(utf8(text))).toMatchObject({ ok: false, message: duplicate('"a"', "$") });
    });

    it.each([
      ["a \\u escape", '{"a":1,"\\u0061":2}', '"a"'],
      ["an escaped solidus", '{"a/b":1,"a\\/b":2}', '"a/b"'],
      ["an escaped quote, written two ways", '{"say \\"hi\\"":1,"say \\u0022hi\\u0022":2}', '"say \\"hi\\""'],
      ["an escaped backslash, written two ways", '{"a\\\\b":1,"a\\u005cb":2}', '"a\\\\b"'],
      ["a surrogate pair, escaped and not", '{"\u{1F600}":1,"\\ud83d\\ude00":2}', '"\\ud83d\\ude00"'],
    ])("compares keys after unescaping: %s", (_name, text, shown) => {
      expect(JSON.parse(text)).toBeTypeOf("object");
      expect(parseRawJson(utf8(text))).toMatchObject({ ok: false, message: duplicate(shown, "$") });
    });

    it("keeps keys apart that only look alike", () => {
      const text = '{"a\\"b":1,"a\\\\b":2,"a\\\\":3,"a":4,"A":5,"a ":6,"\\u0061\\u0062":7,"\\"":8,"\\\\":9}';
      expect(parseRawJson(utf8(text))).toEqual({ ok: true, value: JSON.parse(text) });
      expect(Object.keys(JSON.parse(text))).toHaveLength(9);
    });

    it("finds a key after a value that ends in an escaped backslash or holds an escaped quote", () => {
      expect(parseRawJson(utf8('{"k":"\\\\","k":1}'))).toMatchObject({ message: duplicate('"k"', "$") });
      expect(parseRawJson(utf8('{"k":"say \\"k\\":","j":{"k":1}}'))).toMatchObject({ ok: true });
      expect(parseRawJson(utf8('{"k":"\\\\\\"","k":1}'))).toMatchObject({
        message: duplicate('"k"', "$"),
      });
    });

    it("accepts the same key in sibling objects, at other depths and in values", () => {
      const text = JSON.stringify({
        a: { a: 1, b: { a: 2 } },
        b: [{ a: 1, b: 2 }, { b: 2, a: 1 }, [{ a: 1 }], { a: { a: { a: 1 } } }],
        c: ["a", "a", { x: "a" }],
      });
      expect(parseRawJson(utf8(text))).toEqual({ ok: true, value: JSON.parse(text) });
    });

    it("refuses a duplicate in a large object, wherever it is, and accepts many distinct keys", () => {
      const keys = Array.from({ length: 5000 }, (_, i) => `"key_${i}":${i}`);
      expect(parseRawJson(utf8(`{${keys.join(",")}}`)).ok).toBe(true);
      for (const at of [1, 15, 16, 17, 4999]) {
        const text = `{${keys.join(",")},"key_${at}":null}`;
        expect(parseRawJson(utf8(text))).toMatchObject({ ok: false, message: duplicate(`"key_${at}"`, "$") });
      }
      // The first keys of an object reuse the lists of an earlier, larger sibling; nothing carries over.
      const siblings = `[{${keys.slice(0, 40).join(",")}},{"key_1":1,"key_39":2},{"key_1":1,"key_1":2}]`;
      expect(parseRawJson(utf8(siblings))).toMatchObject({ message: duplicate('"key_1"', "$[2]") });
    });

    it("reports the first problem in the text", () => {
      expect(parseRawJson(utf8('{"a":{"x":1,"x":2},"b":1,"b":2}'))).toMatchObject({
        message: duplicate('"x"', "$.a"),
      });
      expect(parseRawJson(utf8('{"a":1,"a":2,"__proto__":{}}'))).toMatchObject({
        message: duplicate('"a"', "$"),
      });
    });

    it("says a body that is not JSON is not JSON, and one too deep is too deep, even with a duplicate key", () => {
      expect(parseRawJson(utf8('{"a":1,"a":}'))).toMatchObject({
        message: expect.stringMatching(/^body is not JSON: /),
      });
      expect(parseRawJson(utf8('{"a":1,"a":2'))).toMatchObject({
        message: expect.stringMatching(/^body is not JSON: /),
      });
      expect(parseRawJson(utf8(`{"a":1,"a":${nested(70)}}`))).toEqual({
        ok: false,
        message: "JSON nests 71 levels deep; the limit is 64",
      });
    });

    it("names keys safely: escaped, printable ASCII, bounded", () => {
      const long = "k".repeat(10_000);
      const refused = parseRawJson(utf8(`{"${long}":{"x\u202e\\n":1,"x\u202e\\n":2}}`));
      expect(refused).toMatchObject({
        ok: false,
        message: duplicate('"x\\u202e\\u000a"', `$["${"k".repeat(64)}..."]`),
        issue: { path: `${"k".repeat(64)}....x\\u202e\\u000a` },
      });
      if (refused.ok) return;
      expect(refused.message).toMatch(/^[\x20-\x7e]+$/);
      // 64 levels of long keys: the path is cut in the middle.
      const deep = `${`{"${long}":`.repeat(63)}{"d":1,"d":2}${"}".repeat(63)}`;
      const cut = parseRawJson(utf8(deep));
      expect(cut).toMatchObject({ ok: false, message: expect.stringContaining("...") });
      if (!cut.ok) expect(cut.message.length).toBeLessThan(500);
    });
  });

  describe("prototype-pollution keys", () => {
    const forbidden = (key: string, at: string) =>
      `forbidden key "${key}" in object at ${at} (prototype-pollution guard: __proto__, constructor and prototype are refused at any depth)`;

    it.each(["__proto__", "constructor", "prototype"])("refuses %s at the top level and nested", (key) => {
      expect(parseRawJson(utf8(`{"${key}":{"isAdmin":true}}`))).toEqual({
        ok: false,
        message: forbidden(key, "$"),
        issue: {
          path: key,
          message: `the key "${key}" is refused anywhere in the body (prototype-pollution guard: __proto__, constructor, prototype)`,
        },
      });
      const nestedKey = `{"result":{"breakdown":[{"ok":1},{"detected":true,"${key}":{"isAdmin":true}}]}}`;
      expect(parseRawJson(utf8(nestedKey))).toMatchObject({
        ok: false,
        message: forbidden(key, "$.result.breakdown[1]"),
        issue: { path: `result.breakdown.1.${key}` },
      });
      expect(parseRawJson(utf8(`[[{"${key}":null}]]`))).toMatchObject({ message: forbidden(key, "$[0][0]") });
    });

    it("refuses them after unescaping", () => {
      for (const [text, key] of [
        ['{"\\u005f_proto__":{}}', "__proto__"],
        ['{"a":{"constructo\\u0072":{}}}', "constructor"],
        ['{"\\u0070\\u0072ototype":1}', "prototype"],
      ] as const)
        expect(parseRawJson(utf8(text))).toMatchObject({
          ok: false,
          message: expect.stringContaining(`"${key}"`),
        });
    });

    it("refuses the constructor.prototype gadget at its first key", () => {
      expect(
        parseRawJson(utf8('{"principal":{"constructor":{"prototype":{"isApprover":true}}}}')),
      ).toMatchObject({
        message: forbidden("constructor", "$.principal"),
      });
    });

    it("accepts the words as values, inside longer keys and in other cases", () => {
      const text = JSON.stringify({
        name: "__proto__",
        list: ["constructor", "prototype", { v: "__proto__" }],
        __proto__x: 1,
        constructors: 2,
        Prototype: 3,
        _proto_: 4,
        "proto type": 5,
        description: 'set "__proto__": {} to pollute',
      });
      expect(parseRawJson(utf8(text))).toEqual({ ok: true, value: JSON.parse(text) });
    });

    it("pollutes nothing while refusing", () => {
      const body = '{"__proto__":{"isAdmin":true},"a":{"constructor":{"prototype":{"approved":true}}}}';
      expect(parseRawJson(utf8(body)).ok).toBe(false);
      const probe = {} as Record<string, unknown>;
      expect([probe.isAdmin, probe.approved]).toEqual([undefined, undefined]);
    });
  });

  it("refuses 5000-deep objects with a duplicate at the bottom by depth, without overflowing the stack", () => {
    const text = `${'{"a":'.repeat(5000)}{"d":1,"d":2}${"}".repeat(5000)}`;
    expect(parseRawJson(utf8(text))).toEqual({
      ok: false,
      message: "JSON nests 5001 levels deep; the limit is 64",
    });
  });

  it("stays linear on hostile 256 KB bodies", () => {
    const size = 256 * 1024;
    const bodies = [
      `{${Array.from({ length: 20_000 }, (_, i) => `"${i}":0`).join(",")}}`, // many keys in one object
      `{"s":"${'\\"'.repeat(size / 2 - 8)}"}`, // every quote escaped
      `{"s":"${"\\".repeat(size - 16)}"}`, // one long run of backslashes
      `[${'{"a":1,"b":2},'.repeat(size / 16)}{}]`, // many small objects
      `{"${"k".repeat(size - 16)}":1}`, // one huge key
    ];
    for (const body of bodies) {
      const started = performance.now();
      expect(parseRawJson(utf8(body))).toEqual({ ok: true, value: JSON.parse(body) });
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });

  it("property: agrees with JSON.parse on any JSON without duplicate or forbidden keys", () => {
    const hasForbiddenKey = (value: unknown): boolean =>
      typeof value === "object" &&
      value !== null &&
      Object.entries(value).some(
        ([key, inner]) =>
          (!Array.isArray(value) && ["__proto__", "constructor", "prototype"].includes(key)) ||
          hasForbiddenKey(inner),
      );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        const parsed = parseRawJson(utf8(text));
        if (hasForbiddenKey(value))
          expect(parsed).toMatchObject({ ok: false, message: expect.stringContaining("forbidden key") });
        else expect(parsed).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { numRuns: 300, seed: 20261125 },
    );
  });

  it("property: a key repeated in any object is refused, naming that key", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 40 }),
        fc.nat(),
        (object, pick) => {
          const keys = Object.keys(object).filter(
            (key) => !["__proto__", "constructor", "prototype"].includes(key),
          );
          fc.pre(keys.length > 0 && !JSON.stringify(object).match(/"(__proto__|constructor|prototype)":/));
          const key = keys[pick % keys.length] as string;
          const text = `{"wrapper":[${JSON.stringify(object).slice(0, -1)},${JSON.stringify(key)}:0}]}`;
          expect(parseRawJson(utf8(text))).toMatchObject({
            ok: false,
            message: expect.stringMatching(/^duplicate key ".*" in object at \$\.wrapper\[0\]: /),
          });
        },
      ),
      { numRuns: 300, seed: 20261125 },
    );
  });
});
