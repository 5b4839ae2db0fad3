import type { Emitted, Emitter, SchemaNode } from "./fast-parse-codegen.js";

/**
 * Code for arrays, records and objects, as zod 4's `$ZodArray`, `$ZodRecord` and `$ZodObject` parse them
 * (schemas.js; for objects, shape keys in shape order by handlePropertyResult's rules, then the catchall's).
 * zod returns a fresh copy; where that copy would be identical to the input (same values, same keys in the
 * same order, nothing left out or filled in), the generated code returns the input itself, and builds the
 * copy only otherwise.
 */

export function emitArray(emitter: Emitter, element: SchemaNode, input: string, fail: string): Emitted {
  const [out, index, item] = [emitter.fresh("o"), emitter.fresh("i"), emitter.fresh("e")];
  const parsed = emitter.node(element, item, fail);
  // Copied from the first element that changes (or is a hole: zod's copy has undefined there).
  const keep = `if (${out} === ${input}) {\nif (${parsed.out} === ${item} && ${index} in ${input}) continue;\n${out} = ${input}.slice(0, ${index});\n}\n`;
  const loop = `for (let ${index} = 0; ${index} < ${input}.length; ${index}++) {\nconst ${item} = ${input}[${index}];\n${parsed.code}${keep}${out}[${index}] = ${parsed.out};\n}\n`;
  // zod copies into a plain array: an array of another kind is copied from the start.
  const start = `let ${out} = Object.getPrototypeOf(${input}) === Array.prototype ? ${input} : [];\n`;
  return { code: `if (!Array.isArray(${input})) ${fail}\n${start}${loop}`, out };
}

/**
 * A record whose keys must each satisfy its key schema (not an enum's closed set of keys). Its entries are
 * checked in place, and the record is its own copy, while no key or value changes; otherwise (or for an
 * object that cannot be its own copy) zod's own loop, `R`, copies it key by key.
 */
export function emitRecord(
  emitter: Emitter,
  node: SchemaNode,
  input: string,
  fail: string,
): Emitted | undefined {
  const { keyType, valueType, mode } = node._zod.def;
  if (!keyType || !valueType || keyType._zod.values || mode === "loose") return undefined;
  const [out, key, value, label] = [
    emitter.fresh("o"),
    emitter.fresh("k"),
    emitter.fresh("f"),
    emitter.fresh("K"),
  ];
  const copied = `${out} = R(${emitter.ref(emitter.compile(keyType))}, ${emitter.ref(emitter.compile(valueType))}, ${input});`;
  const parsedKey = emitter.node(keyType, key, `break ${label};`);
  const parsedValue = emitter.node(valueType, value, fail);
  const entry = `${parsedKey.code}if (${parsedKey.out} === ${key}) {\nconst ${value} = ${input}[${key}];\n${parsedValue.code}if (${parsedValue.out} === ${value}) continue;\n}\n`;
  const loop = `for (const ${key} in ${input}) {\nif (${key} === "__proto__") { ${copied} break; }\n${label}: {\n${entry}}\n${copied}\nbreak;\n}\n`;
  const code = `let ${out} = ${input};\nif (P(${input})) {\n${loop}} else ${copied}\nif (${out} === I) ${fail}\n`;
  return { code, out };
}

interface Property {
  /** Parses the key's value into a variable; clears `same` when the value changes, counts `written`. */
  readonly parse: string;
  /** Writes it into the copy, when zod would. */
  readonly assign: (out: string) => string;
}

export function emitObject(
  emitter: Emitter,
  node: SchemaNode,
  input: string,
  fail: string,
): Emitted | undefined {
  const { shape = {}, catchall } = node._zod.def;
  if (Object.getOwnPropertySymbols(shape).length > 0) return undefined;
  const [out, same, written] = [emitter.fresh("o"), emitter.fresh("s"), emitter.fresh("n")];
  const keys = Object.keys(shape).filter((key) => key !== "__proto__");
  const counters = { input, same, written, fail };
  const properties = keys.map((key) =>
    property(emitter, shape[key] as SchemaNode, JSON.stringify(key), counters),
  );
  const known = emitter.ref(new Set(Object.keys(shape)));
  let code = `if (typeof ${input} !== "object" || ${input} === null || Array.isArray(${input})) ${fail}\n`;
  code += `let ${same} = true;\nlet ${written} = 0;\n${properties.map((entry) => entry.parse).join("")}`;
  const rest = catchall ? catchallCode(emitter, catchall, known, counters) : { parse: "", assign: () => "" };
  code += rest.parse;
  const strict = catchall?._zod.def.type === "never";
  const order = emitter.ref(keys);
  code += `if (${same}) ${same} = K(${input}, ${order}, ${written}, ${catchall !== undefined && !strict});\n`;
  // A strict object refuses keys its shape does not name; an input that is its own copy has none.
  if (strict) code += `if (!${same}) for (const k in ${input}) if (!${known}.has(k)) ${fail}\n`;
  code += `let ${out} = ${input};\n`;
  const copy = properties.map((entry) => entry.assign(out)).join("") + rest.assign(out);
  return { code: `${code}if (!${same}) {\n${out} = {};\n${copy}}\n`, out };
}

interface Counters {
  readonly input: string;
  readonly same: string;
  readonly written: string;
  readonly fail: string;
}

/** Keys the shape does not name: parsed by the catchall (loose); strict objects refuse them (emitObject). */
function catchallCode(emitter: Emitter, catchall: SchemaNode, known: string, counters: Counters): Property {
  const { input, same, fail } = counters;
  const key = emitter.fresh("k");
  if (catchall._zod.def.type === "never") return { parse: "", assign: () => "" };
  const loop = (body: string) =>
    `for (const ${key} in ${input}) {\nif (${known}.has(${key}) || ${key} === "__proto__") continue;\n${body}}\n`;
  const [value, copied] = [emitter.fresh("f"), emitter.fresh("c")];
  const parsed = emitter.node(catchall, value, fail);
  const check = `const ${value} = ${input}[${key}];\n${parsed.code}if (${parsed.out} !== ${value}) ${same} = false;\n`;
  const { type, checks } = catchall._zod.def;
  const passThrough = (type === "unknown" || type === "any") && !checks?.length;
  const parse = emitter.compile(catchall);
  return {
    parse: passThrough ? "" : loop(check),
    assign: (out) =>
      loop(`const ${copied} = ${emitter.ref(parse)}(${input}[${key}]);\n${out}[${key}] = ${copied};\n`),
  };
}

/** One shape key, by zod's handlePropertyResult (and the JIT's fastpass): when it is read and written. */
function property(emitter: Emitter, field: SchemaNode, key: string, counters: Counters): Property {
  const { input, same, written, fail } = counters;
  const { optin, optout } = field._zod;
  const [value, result, present] = [emitter.fresh("f"), emitter.fresh("v"), emitter.fresh("p")];
  const parsed = (onFailure: string) => emitter.node(field, value, onFailure);
  const take = (code: string, out: string) =>
    `const ${value} = ${input}[${key}];\n${code}${result} = ${out};\nif (${result} !== ${value}) ${same} = false;\n`;
  const head = `let ${result};\nconst ${present} = ${key} in ${input};\n`;
  if (optin === undefined) {
    const { code, out } = parsed(fail);
    return {
      parse: `${head}if (!${present}) ${fail}\n${take(code, out)}${written}++;\n`,
      assign: (copy) => `${copy}[${key}] = ${result};\n`,
    };
  }
  if (optout === "optional") {
    const { code, out } = parsed(fail);
    const whenPresent = `${head}if (${present}) {\n${take(code, out)}${written}++;\n}\n`;
    if (optin === "optional")
      return { parse: whenPresent, assign: (copy) => `if (${present}) ${copy}[${key}] = ${result};\n` };
    // A defaulted key that is absent: its value when it has one; a failure is dropped.
    const label = emitter.fresh("F");
    const absent = parsed(`break ${label};`);
    const fill = `else {\n${label}: {\nconst ${value} = ${input}[${key}];\n${absent.code}${result} = ${absent.out};\n}\nif (${result} !== undefined) ${written}++;\n}\n`;
    return {
      parse: whenPresent + fill,
      assign: (copy) => `if (${present} || ${result} !== undefined) ${copy}[${key}] = ${result};\n`,
    };
  }
  const { code, out } = parsed(fail);
  const writes = optin === "defaulted" ? "true" : `${result} !== undefined || ${present}`;
  return {
    parse: `${head}${take(code, out)}if (${writes}) ${written}++;\n`,
    assign: (copy) => `if (${writes}) ${copy}[${key}] = ${result};\n`,
  };
}
