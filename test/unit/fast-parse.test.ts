import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EventEnvelope, EVENT_PAYLOADS, EVENT_TYPES } from "../../schema/events";
import { compileFast, fastParse, FAIL, UNSURE } from "../../schema/fast-parse";
import { ImportInput, TrackInput } from "../../schema/tracking";

// zod's own answer, through the top-level function: it runs the schema, not the instance methods fastParse replaces.
const zod = (schema: z.ZodType, value: unknown) => z.safeParse(schema, value);

/** A deterministic generator, so a failure names an input that can be found again. */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const ODD = [undefined, null, "", "x".repeat(300), "bad id!", "2026-02-30T00:00:00Z", 0, -1, 1.5, NaN, Infinity, 2 ** 60, true, {}, [], ["a"], { a: 1 }];

/** A value every node of the schema accepts, filled in as far as `fill` says (optional fields sometimes left out). */
function sample(schema: unknown, random: () => number, depth = 0): unknown {
  const node = schema as { _zod: { def: Record<string, any>; values?: Set<unknown> } };
  const def = node._zod.def;
  switch (def.type) {
    case "string": {
      if (def.format === "datetime") return new Date(Date.UTC(2026, 10, 1 + Math.floor(random() * 20))).toISOString();
      const min = (def.checks ?? []).map((c: any) => c._zod.def.minimum).find((m: unknown) => typeof m === "number") ?? 0;
      return `id_${Math.floor(random() * 1e6)}`.padEnd(min, "a");
    }
    case "number": return Math.floor(random() * 100);
    case "boolean": return random() < 0.5;
    case "null": return null;
    case "enum":
    case "literal": {
      const values = [...node._zod.values!];
      return values[Math.floor(random() * values.length)];
    }
    case "optional": return random() < 0.3 ? undefined : sample(def.innerType, random, depth);
    case "nullable": return random() < 0.3 ? null : sample(def.innerType, random, depth);
    case "default": return random() < 0.3 ? undefined : sample(def.innerType, random, depth);
    case "array": return Array.from({ length: 1 + Math.floor(random() * 3) }, () => sample(def.element, random, depth + 1));
    case "union": return sample(def.options[Math.floor(random() * def.options.length)], random, depth);
    case "record": return { path: "/p", n: 3, ok: true };
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(def.shape as Record<string, unknown>)) {
        const x = sample(v, random, depth + 1);
        if (x !== undefined) out[k] = x;
      }
      return out;
    }
    default: return undefined;
  }
}

/** The value with one leaf replaced, one key removed or one unknown key added, somewhere inside. */
function mutate(value: unknown, random: () => number): unknown {
  if (typeof value !== "object" || value === null || random() < 0.15) return ODD[Math.floor(random() * ODD.length)];
  const copy: any = Array.isArray(value) ? [...value] : { ...value };
  const keys = Object.keys(copy);
  const r = random();
  if (!Array.isArray(copy) && r < 0.15) copy[`extra${keys.length}`] = 1;
  else if (keys.length && r < 0.3) delete copy[keys[Math.floor(random() * keys.length)]!];
  else if (keys.length) {
    const k = keys[Math.floor(random() * keys.length)]!;
    copy[k] = mutate(copy[k], random);
  }
  return copy;
}

/** The promise: fast accepts only what zod accepts, with zod's exact output; FAIL only where zod refuses. */
function agree(schema: z.ZodType, value: unknown) {
  const fast = compileFast(schema)(value);
  const slow = zod(schema, value);
  if (fast === FAIL || fast === UNSURE) {
    if (fast === FAIL) expect(slow.success, `FAIL where zod accepts ${JSON.stringify(value)}`).toBe(false);
    return false;
  }
  expect(slow.success, `accepted what zod refuses: ${JSON.stringify(value)}`).toBe(true);
  expect(fast).toStrictEqual(slow.data);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.data)); // the same keys in the same order
  return true;
}

/** Samples and their mutations through both; how many samples zod accepted, and how many of those fast did too. */
function fuzz(schema: z.ZodType, seed: number, rounds: number) {
  const random = rng(seed);
  let valid = 0;
  let accepted = 0;
  for (let i = 0; i < rounds; i++) {
    const value = sample(schema, random);
    const ok = zod(schema, value).success;
    if (agree(schema, value) && ok) accepted++;
    if (ok) valid++;
    for (let m = 0; m < 4; m++) {
      const changed = mutate(value, random);
      const okChanged = zod(schema, changed).success;
      if (agree(schema, changed) && okChanged) accepted++;
      if (okChanged) valid++;
    }
  }
  return { valid, accepted };
}

/** These contracts use nothing fast-parse leaves to zod: every value zod accepts, fast accepts too. */
function fuzzWhole(schema: z.ZodType, seed: number, rounds: number, minValid: number) {
  const { valid, accepted } = fuzz(schema, seed, rounds);
  expect(valid).toBeGreaterThanOrEqual(minValid);
  expect(accepted).toBe(valid);
}

describe("fast-parse: zod's answer from plain closures", () => {
  it("the import contract: accepts every valid body with zod's output, and never what zod refuses", () => {
    fuzzWhole(ImportInput, 1, 400, 300);
  });

  it("every event type's payload schema, and the whole envelope (a discriminated union)", () => {
    let valid = 0;
    for (const [i, type] of EVENT_TYPES.entries()) {
      const r = fuzz(EVENT_PAYLOADS[type], 100 + i, 40);
      expect(r.accepted, type).toBe(r.valid);
      valid += r.valid;
    }
    expect(valid).toBeGreaterThan(EVENT_TYPES.length * 40);
    fuzzWhole(EventEnvelope, 7, 300, 200);
  });

  it("a contract with a refinement over the object (the tracking route's)", () => {
    fuzzWhole(TrackInput, 3, 300, 5);
  });

  it("optionality rungs, unions in order, strip and strict objects, records, refinements, transforms", () => {
    const s = z.object({
      a: z.string().min(2).optional(),
      b: z.string().max(3).nullable().default(null),
      c: z.string().default("c").optional(),
      d: z.union([z.string().max(2), z.number().int(), z.string().transform((x) => x.length)]),
      e: z.record(z.string().max(4), z.union([z.string(), z.number(), z.boolean(), z.null()])).refine((r) => Object.keys(r).length <= 2),
      f: z.array(z.object({ k: z.enum(["x", "y"]) }).strict()).min(1).max(2),
      g: z.object({ h: z.number().optional() }), // strips unknown keys
      t: z.string().trim().toLowerCase().optional(),
    }).superRefine((v, ctx) => {
      if (v.a === "no") ctx.addIssue({ code: "custom", message: "no", path: ["a"] });
    });
    const ok = { d: "ab", e: { p: 1 }, f: [{ k: "x" }], g: { h: 1, extra: 2 }, t: "  HeLLo " };
    expect(agree(s, ok)).toBe(true);
    expect(compileFast(s)(ok)).toMatchObject({ b: null, c: "c", g: { h: 1 }, t: "hello" }); // zod's own defaults and overwrites
    for (const bad of [{ ...ok, a: "no" }, { ...ok, a: "x" }, { ...ok, f: [] }, { ...ok, f: [{ k: "x", z: 1 }] }, { ...ok, e: { p: 1, q: 2, r: 3 } }, { ...ok, e: { toolong: 1 } }, { ...ok, d: 1.5 }]) {
      expect(agree(s, bad)).toBe(false);
    }
    expect(agree(s, { ...ok, d: "abcdef" })).toBe(true); // the third option, after two surely refused
    expect(compileFast(s)({ ...ok, d: "abcdef" })).toMatchObject({ d: 6 });
    const r = fuzz(s as never, 11, 300);
    expect(r.accepted).toBe(r.valid);
  });

  it("leaves to zod what only zod can tell: an async refinement, a substituted default that fails", async () => {
    const asyncRefine = z.object({ a: z.string().refine(async (x) => x.length > 1) });
    expect(compileFast(asyncRefine)({ a: "ab" })).toBe(UNSURE);
    fastParse(asyncRefine); // as Hono's validator calls it: zod's async parse answers
    expect(await asyncRefine.safeParseAsync({ a: "ab" })).toMatchObject({ success: true, data: { a: "ab" } });
    expect((await asyncRefine.safeParseAsync({ a: "a" })).success).toBe(false);
    const failingDefault = z.object({ a: z.number().default("x" as never).pipe(z.number()).optional() });
    expect(zod(failingDefault, {})).toEqual({ success: true, data: {} }); // zod answers undefined for the failed default
    expect(compileFast(failingDefault)({})).toBe(UNSURE);
    // zod takes the first option; a later option must not answer while an earlier one is only unsure.
    const union = z.union([failingDefault, z.object({ a: z.unknown() }).transform(() => "second")]);
    expect(zod(union, {})).toEqual({ success: true, data: {} });
    expect(compileFast(union)({})).toBe(UNSURE);
  });

  it("fastParse's safeParse answers zod's own error for a refused value", async () => {
    const body = { events: [{ type: "page_view", occurredAt: "yesterday", extra: 1 }] };
    const fast = ImportInput.safeParse(body);
    const slow = zod(ImportInput, body);
    expect(fast.success).toBe(false);
    expect(fast.error!.issues).toEqual(slow.error!.issues);
    expect((await ImportInput.safeParseAsync(body)).error!.issues).toEqual(slow.error!.issues);
    const good = { events: [{ type: "page_view", occurredAt: "2026-11-01T00:00:00Z" }] };
    expect(ImportInput.safeParse(good)).toEqual({ success: true, data: zod(ImportInput, good).data });
  });

  it("fastParse leaves the schema usable as before (the same instance, its metadata and its other methods)", () => {
    const s = z.object({ a: z.string() });
    expect(fastParse(s)).toBe(s);
    const piped = fastParse(z.string().transform((x) => x.length)); // handed to zod whole, without asking itself again
    expect(piped.safeParse("abc")).toEqual({ success: true, data: 3 });
    expect(piped.safeParse(1).success).toBe(false);
    type Tree = { name: string; children?: Tree[] };
    const Tree: z.ZodType<Tree> = z.object({ name: z.string().max(8), get children() { return z.array(Tree).optional(); } }).strict();
    expect(agree(Tree, { name: "a", children: [{ name: "b", children: [{ name: "c" }] }] })).toBe(true);
    expect(agree(Tree, { name: "a", children: [{ name: "b", children: [{ name: "far too long" }] }] })).toBe(false);
    const loose = z.object({ a: z.unknown(), b: z.any().optional() });
    expect(agree(loose, { a: undefined })).toBe(true);
    expect(agree(loose, { a: { deep: [1] }, b: null })).toBe(true);
    expect(agree(loose, {})).toBe(zod(loose, {}).success);
    expect(s.parse({ a: "x" })).toEqual({ a: "x" });
    expect(() => s.parse({ a: 1 })).toThrow();
  });
});
