import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { ValidationError } from "../../functions/shared/errors.js";
import { fastParse, fastSafeParse, parseWithoutFallback } from "../../functions/shared/fast-parse.js";
import { eventSources, sources } from "../../functions/sources/index.js";
import { type Mutation, mutate, mutation, scalarsOf, validFixtures } from "./payload-mutations.js";

/**
 * The generated parsers (functions/shared/fast-parse.ts) against zod itself, on thousands of payloads mutated
 * from the fixtures (JSON data, as ingest and triage see it): they accept exactly what zod accepts, with the
 * same output (values, undefined keys and key order). Their own answer is checked, not fastSafeParse's, which would hide a refusal behind zod's.
 */

beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-11-25T00:00:00.000Z")); // the fixtures are dated up to 2026-11-24
});
afterAll(() => vi.useRealTimers());

/** Every key of a value in order, with its path: what toStrictEqual does not compare. */
function keyOrder(value: unknown, path = "$"): string[] {
  if (typeof value !== "object" || value === null) return [];
  return Object.keys(value).flatMap((key) => [
    `${path}.${key}`,
    ...keyOrder((value as Record<string, unknown>)[key], `${path}.${key}`),
  ]);
}

/** The generated parser and zod agree on `value`; true when zod accepts it. */
function agree(schema: z.ZodType, value: unknown): boolean {
  const expected = schema.safeParse(value);
  const actual = parseWithoutFallback(schema, value);
  expect(actual.accepted).toBe(expected.success);
  if (!expected.success) return false;
  expect(actual.data).toStrictEqual(expected.data);
  expect(keyOrder(actual.data)).toEqual(keyOrder(expected.data));
  return true;
}

interface Route {
  readonly name: string;
  readonly schema: z.ZodType;
  readonly fixtures: unknown[];
  readonly normalize?: (payload: unknown) => readonly unknown[];
}

const receipt = { alertId: "alr_fast0001", receivedAt: "2026-11-25T00:00:00.000Z", deliveryId: "d-1" };

const ROUTES: Route[] = [
  ...Object.entries(sources).map(([name, adapter]) => ({
    name,
    schema: adapter.schema as z.ZodType,
    fixtures: validFixtures(name),
    normalize: (payload: unknown) => adapter.normalize(payload, receipt),
  })),
  ...Object.entries(eventSources).map(([name, adapter]) => ({
    name,
    schema: adapter.schema as z.ZodType,
    fixtures: validFixtures(`aws/${name.replace(/^aws\./, "")}`),
    normalize: (payload: unknown) => adapter.normalize(payload, receipt),
  })),
];

/** What a route's normaliser makes of a payload; none when it refuses it (an AWS event outside the window). */
function normalised(route: Route, payload: unknown): readonly unknown[] {
  try {
    return route.normalize?.(payload) ?? [];
  } catch (error) {
    if (error instanceof ValidationError) return [];
    throw error;
  }
}

const mutations = (fixtures: unknown[]) =>
  fc.tuple(
    fc.nat({ max: fixtures.length - 1 }),
    fc.array(mutation(scalarsOf(fixtures)), { minLength: 0, maxLength: 3 }),
  );

describe.each(ROUTES)("the generated parser of $name", (route) => {
  it("agrees with zod on 700 mutations of the fixtures, and on the canonical alerts they become", () => {
    let accepted = 0;
    const alerts: unknown[] = [];
    fc.assert(
      fc.property(mutations(route.fixtures), ([which, changes]) => {
        const payload = mutate(route.fixtures[which], changes as Mutation[]);
        if (!agree(route.schema, payload)) return;
        accepted++;
        for (const alert of normalised(route, route.schema.parse(payload)))
          if (agree(CanonicalAlert, alert)) alerts.push(alert);
      }),
      { numRuns: 700 },
    );
    expect(accepted).toBeGreaterThan(50); // enough of them valid for the outputs to be compared
    expect(alerts.length).toBeGreaterThan(0);
  }, 60_000);
});

describe("the generated parser of the canonical alert", () => {
  const alerts = ROUTES.flatMap((route) =>
    route.fixtures.flatMap((payload) => {
      const parsed = route.schema.safeParse(payload);
      return parsed.success ? [...normalised(route, parsed.data)] : [];
    }),
  );

  it("agrees with zod on 3000 mutations of the alerts every fixture becomes", () => {
    expect(alerts.length).toBeGreaterThan(20);
    let accepted = 0;
    fc.assert(
      fc.property(mutations(alerts), ([which, changes]) => {
        if (agree(CanonicalAlert, mutate(alerts[which], changes as Mutation[]))) accepted++;
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(500);
  }, 60_000);

  it("answers with the alert itself where zod's copy would be identical (the normalisers' output)", () => {
    for (const alert of alerts) expect(parseWithoutFallback(CanonicalAlert, alert).data).toBe(alert);
    const reordered = { ...(alerts[0] as object), extra: 1 };
    expect(parseWithoutFallback(CanonicalAlert, reordered).data).not.toBe(reordered); // zod strips `extra`
  });

  it("leaves everything to zod while Object.prototype has enumerable keys", () => {
    const alert = alerts[0] as object;
    Object.defineProperty(Object.prototype, "polluted", {
      value: 1,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    try {
      expect(parseWithoutFallback(CanonicalAlert, alert)).toEqual({ accepted: false });
      expect(fastSafeParse(CanonicalAlert, alert)).toEqual(CanonicalAlert.safeParse(alert));
    } finally {
      delete (Object.prototype as { polluted?: number }).polluted;
    }
    expect(parseWithoutFallback(CanonicalAlert, alert).accepted).toBe(true);
  });

  it("answers with zod's own error, and zod's own exception", () => {
    const alert = { ...(alerts[0] as object), severity: "urgent", entities: [{ kind: "ip" }] };
    expect(fastSafeParse(CanonicalAlert, alert)).toEqual(CanonicalAlert.safeParse(alert));
    expect(() => fastParse(CanonicalAlert, alert)).toThrow(z.ZodError);
  });
});

describe("the generated parser on node kinds the sources do not use (yet)", () => {
  const Kinds = z.object({
    defaulted: z.string().default("d"),
    optionalDefault: z.number().default(1).optional(),
    prefaulted: z.object({ n: z.number().default(2) }).prefault({}),
    nullable: z.string().min(2).nullable(),
    exact: z.string().exactOptional(),
    overlapping: z.union([z.string().max(3), z.string().transform((text) => text.length), z.number()]),
    tagged: z
      .discriminatedUnion("kind", [
        z.object({ kind: z.literal("a"), a: z.string() }),
        z.object({ kind: z.literal("b") }),
      ])
      .optional(),
    url: z.url().optional(),
    numbers: z.record(z.string().regex(/^\d+$/), z.number().int()).optional(),
    rest: z.object({ known: z.boolean().optional() }).catchall(z.string()).optional(),
    lengths: z.array(z.string().length(2)).min(1).max(3).optional(),
    refined: z
      .string()
      .refine((text) => text !== "no")
      .optional(),
  });
  /** Mostly valid, sometimes not. */
  const often = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
    fc.oneof({ arbitrary: valid, weight: 9 }, { arbitrary: invalid, weight: 1 });
  const values = fc.record(
    {
      defaulted: often(fc.oneof(fc.constant(undefined), fc.string()), fc.integer()),
      optionalDefault: often(fc.oneof(fc.constant(undefined), fc.integer()), fc.string()),
      prefaulted: often(
        fc.oneof(fc.constant(undefined), fc.constant({}), fc.record({ n: fc.integer() })),
        fc.string(),
      ),
      nullable: often(
        fc.oneof(fc.constant(null), fc.string({ unit: "binary", minLength: 2, maxLength: 4 })),
        fc.string({ maxLength: 1 }),
      ),
      exact: often(fc.string(), fc.constant(undefined)),
      overlapping: often(fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), fc.boolean()),
      tagged: often(
        fc.oneof(
          fc.record({ kind: fc.constant("a"), a: fc.string() }),
          fc.record({ kind: fc.constant("b") }),
          fc.constant(undefined),
        ),
        fc.record({ kind: fc.constantFrom("a", "c"), a: fc.integer() }),
      ),
      url: often(
        fc.oneof(fc.webUrl(), fc.constant(" https://x.example/a\tb ")),
        fc.constantFrom("not a url", ""),
      ),
      numbers: often(
        fc.dictionary(fc.oneof(fc.stringMatching(/^\d{1,3}$/), fc.constant("__proto__")), fc.integer()),
        fc.dictionary(fc.constant("x"), fc.double()),
      ),
      rest: often(
        fc.dictionary(fc.constantFrom("known", "other", "__proto__", "x"), fc.string()),
        fc.constant({ known: "yes" }),
      ),
      lengths: often(
        fc.array(fc.string({ minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 3 }),
        fc.constant([]),
      ),
      refined: fc.constantFrom("yes", "yes", "no"),
    },
    { requiredKeys: [] },
  );

  it("agrees with zod on 3000 random values", () => {
    let accepted = 0;
    fc.assert(
      fc.property(values, (value) => {
        if (agree(Kinds, JSON.parse(JSON.stringify(value)))) accepted++;
        agree(Kinds, value); // undefined values kept, as a caller may pass them
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100);
  }, 60_000);

  it("keeps zod's first acceptable union option, zod's url rewriting and zod's record rules", () => {
    for (const overlapping of ["abc", "abcd", 7]) agree(Kinds, { nullable: null, overlapping });
    const input = {
      nullable: "xy",
      overlapping: "abcd",
      url: " https://x.example/a\tb ",
      numbers: JSON.parse('{"1":1,"__proto__":2,"02":3}'),
    };
    expect(agree(Kinds, input)).toBe(true);
    expect(parseWithoutFallback(Kinds, input).data).toMatchObject({
      defaulted: "d",
      prefaulted: { n: 2 },
      overlapping: 4,
      url: "https://x.example/ab",
      numbers: { 1: 1, "02": 3 },
    });
  });
});
