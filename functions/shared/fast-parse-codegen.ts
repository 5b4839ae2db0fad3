import { emitArray, emitObject, emitRecord } from "./fast-parse-containers.js";

/**
 * Source code for one zod schema's success path, as fast-parse.ts compiles it: one function, property
 * accesses by name, leaf checks inline. Each emitter follows what zod 4 does when it accepts (zod/v4/core,
 * schemas.js and checks.js): the same decision and the same output (keys in zod's order, defaults filled in;
 * the input itself where zod's copy would be identical to it, see fast-parse-containers.ts). Anything it cannot write inline it reaches through `r[i]` (the schema's own
 * check functions, regexes, value sets, nodes zod parses itself). Keys appear only as JSON string literals.
 */

/** Code, and the variable it leaves its output in. */
export interface Emitted {
  readonly code: string;
  readonly out: string;
}

/** What the emitters read of a zod schema's internals. */
export interface SchemaNode {
  _zod: {
    def: {
      type: string;
      check?: string;
      when?: unknown;
      minimum?: number;
      maximum?: number;
      pattern?: RegExp;
      value?: unknown;
      inclusive?: boolean;
      format?: string;
      checks?: SchemaNode[];
      coerce?: boolean;
      innerType?: SchemaNode;
      in?: SchemaNode;
      out?: SchemaNode;
      element?: SchemaNode;
      keyType?: SchemaNode;
      valueType?: SchemaNode;
      catchall?: SchemaNode;
      options?: SchemaNode[];
      shape?: Record<string, SchemaNode>;
      mode?: string;
    };
    traits: Set<string>;
    optin?: "optional" | "defaulted";
    optout?: "optional";
    values?: Set<unknown>;
  };
}

/**
 * The generated function's environment: `I` (the invalid marker), `D(node, value)` (zod parses the node),
 * `P(input)` (whether a record can be its own copy) and `R(parseKey, parseValue, input)` (zod's record loop),
 * `K(input, order, written, loose)` (whether zod's copy of an object would have the input's keys in the
 * input's order) and `r`.
 */
export class Emitter {
  readonly refs: unknown[] = [];
  private count = 0;

  /**
   * `compile` makes a node's own parse function (a record's keys and values are parsed by those); `runner` a
   * check's: the value (a check may rewrite it, as `z.url()` does), or I.
   */
  constructor(
    readonly compile: (node: SchemaNode) => (value: unknown) => unknown,
    private readonly runner: (check: SchemaNode) => (value: unknown) => unknown,
  ) {}

  ref(value: unknown): string {
    let index = this.refs.indexOf(value);
    if (index === -1) index = this.refs.push(value) - 1;
    return `r[${index}]`;
  }

  fresh(prefix: string): string {
    return `${prefix}${this.count++}`;
  }

  /**
   * Code that parses the variable `input` and either runs `fail` (`return I;` or `break <label>;`) or leaves
   * the output in the variable it returns, declared at the code's top level.
   */
  node(node: SchemaNode, input: string, fail: string): Emitted {
    const own = this.own(node, input, fail);
    if (own === undefined) {
      const out = this.fresh("o");
      return { code: `let ${out} = D(${this.ref(node)}, ${input}); if (${out} === I) ${fail}\n`, out };
    }
    const checks = [...(node._zod.traits.has("$ZodCheck") ? [node] : []), ...(node._zod.def.checks ?? [])];
    return {
      code: own.code + checks.map((check) => this.check(node, check, own.out, fail)).join(""),
      out: own.out,
    };
  }

  /**
   * One check on `out` (a `let`). Where a plain test settles that zod's check passes, the test comes first and
   * zod's check function runs only when it does not: a string or array within a length bound in UTF-16 units
   * (zod counts code points, at most the units and at least half of them), a number within a bound, a safe
   * integer, a timestamp its format's pattern matches. A regex check is the pattern test itself.
   */
  private check(node: SchemaNode, check: SchemaNode, out: string, fail: string): string {
    const { type } = node._zod.def;
    const { check: kind, when, minimum = 0, maximum = 0, pattern, value, inclusive, format } = check._zod.def;
    const unless = (passes: string) =>
      `if (!(${passes})) { ${out} = ${this.ref(this.runner(check))}(${out}); if (${out} === I) ${fail} }\n`;
    const hasLength = type === "string" || type === "array";
    if (hasLength && kind === "max_length") return unless(`${out}.length <= ${maximum}`);
    if (hasLength && kind === "min_length") return unless(`${out}.length >= ${2 * minimum}`);
    if (type === "number" && typeof value === "number" && (kind === "greater_than" || kind === "less_than"))
      return unless(`${out} ${kind === "greater_than" ? ">" : "<"}${inclusive ? "=" : ""} ${value}`);
    if (type === "number" && kind === "number_format" && format === "safeint")
      return unless(`Number.isSafeInteger(${out})`);
    if (type === "string" && pattern && when === undefined) {
      const regex = this.ref(pattern);
      if (check._zod.traits.has("$ZodCheckRegex"))
        return `${regex}.lastIndex = 0; if (!${regex}.test(${out})) ${fail}\n`;
      if (check._zod.traits.has("$ZodISODateTime"))
        return unless(`(${regex}.lastIndex = 0, ${regex}.test(${out}))`);
    }
    return unless("false");
  }

  private own(node: SchemaNode, input: string, fail: string): { code: string; out: string } | undefined {
    const { def, traits } = node._zod;
    if (def.coerce) return undefined;
    const out = this.fresh("o");
    const leaf = (refused: string) => ({ code: `if (${refused}) ${fail}\nlet ${out} = ${input};\n`, out });
    switch (def.type) {
      case "string":
        return leaf(`typeof ${input} !== "string"`);
      case "number":
        return leaf(`typeof ${input} !== "number" || !Number.isFinite(${input})`);
      case "boolean":
        return leaf(`typeof ${input} !== "boolean"`);
      case "null":
        return leaf(`${input} !== null`);
      case "unknown":
      case "any":
        return { code: `let ${out} = ${input};\n`, out };
      case "enum":
      case "literal":
        return leaf(`!${this.ref(node._zod.values)}.has(${input})`);
      case "optional":
        if (traits.has("$ZodExactOptional") || def.innerType?._zod.optin === "defaulted") return undefined;
        return this.unless(`${input} === undefined`, "undefined", def.innerType, input, fail);
      case "nullable":
        return this.unless(`${input} === null`, "null", def.innerType, input, fail);
      case "default": {
        const { code, out: inner } = this.unless(
          `${input} === undefined`,
          "undefined",
          def.innerType,
          input,
          fail,
        );
        return {
          code: `${code}if (${inner} === undefined) ${inner} = ${this.ref(def)}.defaultValue;\n`,
          out: inner,
        };
      }
      case "prefault": {
        const value = this.fresh("p");
        const inner = this.node(def.innerType as SchemaNode, value, fail);
        const start = `const ${value} = ${input} === undefined ? ${this.ref(def)}.defaultValue : ${input};\n`;
        return { code: start + inner.code, out: inner.out };
      }
      case "pipe": {
        if (traits.has("$ZodCodec") || traits.has("$ZodPreprocess")) return undefined;
        const first = this.node(def.in as SchemaNode, input, fail);
        const second = this.node(def.out as SchemaNode, first.out, fail);
        return { code: first.code + second.code, out: second.out };
      }
      case "union":
        if (traits.has("$ZodDiscriminatedUnion") || traits.has("$ZodXor")) return undefined;
        return this.union(def.options as SchemaNode[], input, fail);
      case "array":
        return emitArray(this, def.element as SchemaNode, input, fail);
      case "object":
        return emitObject(this, node, input, fail);
      case "record":
        return emitRecord(this, node, input, fail);
      default:
        return undefined;
    }
  }

  /** `value` as it is when `condition` holds, else the inner schema's output. */
  private unless(
    condition: string,
    value: string,
    inner: SchemaNode | undefined,
    input: string,
    fail: string,
  ) {
    const out = this.fresh("o");
    const parsed = this.node(inner as SchemaNode, input, fail);
    return {
      code: `let ${out} = ${value};\nif (!(${condition})) {\n${parsed.code}${out} = ${parsed.out};\n}\n`,
      out,
    };
  }

  /** The first option that accepts the input decides. */
  private union(options: SchemaNode[], input: string, fail: string) {
    const [out, done] = [this.fresh("o"), this.fresh("U")];
    const tries = options.map((option) => {
      const next = this.fresh("A");
      const parsed = this.node(option, input, `break ${next};`);
      return `${next}: {\n${parsed.code}${out} = ${parsed.out};\nbreak ${done};\n}\n`;
    });
    return { code: `let ${out};\n${done}: {\n${tries.join("")}${fail}\n}\n`, out };
  }
}
