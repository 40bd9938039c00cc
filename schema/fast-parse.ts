import { z } from "zod";

/**
 * zod compiles its object parsers with `new Function`, which workerd forbids, so in the worker every check walks the
 * schema through zod's general interpreter (a payload object, an issues array and a checks loop per node). For the
 * contracts checked thousands of times a second — 1,000 imported events per request — that was 28 % of the worker
 * isolate's CPU (bench/README.md, session 51).
 *
 * `fastParse(schema)` keeps the zod schema as the one contract and reads everything from it: the node types and
 * their options from `_zod.def`, optionality from `_zod.optin`/`optout`, and each constraint (min, max, regex,
 * formats, refine) by calling the check's own `_zod.check`; a node type it does not model is handed to zod whole. From
 * that it builds a validator of plain closures that answers the parsed value, FAIL or UNSURE. It never words a
 * refusal: `fastParse` runs zod as before on either, so every error and its field path is zod's own. Only the success
 * path is taken over; test/unit/fast-parse.test.ts checks it gives zod's exact output on valid inputs and never
 * accepts what zod refuses. FAIL (zod surely refuses) exists so a union may go on to its next option.
 */
/** zod refuses this value too. */
export const FAIL: unique symbol = Symbol("fast-parse: refused");
/** Not modelled here (a failed optional default, an async refine, a numeric record key): only zod can tell. */
export const UNSURE: unique symbol = Symbol("fast-parse: ask zod");
export type Fast = (value: unknown) => unknown;
const accepted = (x: unknown) => x !== FAIL && x !== UNSURE;

// The parts of zod's internals read here (zod 4: `_zod.def`, `optin`/`optout`, `values`, `propValues`, `traits`).
type Node = { _zod: { def: Record<string, any>; optin?: string; optout?: string; traits: Set<string>; values?: Set<unknown>; propValues?: Record<string, Set<unknown>> } };
type Check = { _zod: { def: { when?: (p: unknown) => boolean }; check: (p: { value: unknown; issues: unknown[] }) => unknown } };

const compiled = new WeakMap<object, Fast>();

export function compileFast(schema: z.ZodType): Fast {
  const node = schema as unknown as Node;
  let fn = compiled.get(node);
  if (!fn) {
    // A recursive schema (a shape getter naming itself) reaches this node again while it is being built.
    let built: Fast | undefined;
    compiled.set(node, (v) => built!(v));
    fn = built = withChecks(node, parserFor(node));
    compiled.set(node, fn);
  }
  return fn;
}

/** The same schema, its safeParse/safeParseAsync answering from the fast validator when it accepts. */
export function fastParse<T extends z.ZodType>(schema: T): T {
  const s = schema as unknown as { safeParse: Function; safeParseAsync: Function };
  const slow = s.safeParse.bind(schema);
  const slowAsync = s.safeParseAsync.bind(schema);
  let fast: Fast | undefined;
  const quick = (data: unknown, params: unknown) => (params === undefined ? (fast ??= compileFast(schema))(data) : UNSURE);
  s.safeParse = (data: unknown, params?: unknown) => {
    const out = quick(data, params);
    return accepted(out) ? { success: true, data: out } : slow(data, params);
  };
  // Falls back to zod's async parse: a schema with an async refinement cannot be parsed synchronously.
  s.safeParseAsync = async (data: unknown, params?: unknown) => {
    const out = quick(data, params);
    return accepted(out) ? { success: true, data: out } : slowAsync(data, params);
  };
  return schema;
}

/** What zod itself would answer for a node type this file does not model: its own parse, whole. */
function delegate(node: Node): Fast {
  return (value) => {
    // The module function, not the instance's safeParse (which fastParse may have replaced with this very parser).
    const r = z.safeParse(node as unknown as z.ZodType, value);
    return r.success ? r.data : FAIL;
  };
}

/** The node's checks (and the node itself when it is a check, as a string format is), run as zod runs them. */
function withChecks(node: Node, parse: Fast): Fast {
  const checks = [...(node._zod.traits.has("$ZodCheck") ? [node] : []), ...(node._zod.def.checks ?? [])] as unknown as Check[];
  if (checks.length === 0) return parse;
  return (value) => {
    const parsed = parse(value);
    if (!accepted(parsed)) return parsed;
    const payload = { value: parsed, issues: [] as unknown[] };
    for (const ch of checks) {
      const when = ch._zod.def.when;
      if (when && !when(payload)) continue;
      const r = ch._zod.check(payload);
      if (r instanceof Promise) {
        r.catch(() => undefined); // an async refine: zod's own async parse decides
        return UNSURE;
      }
      if (payload.issues.length) return FAIL;
    }
    return payload.value;
  };
}

function parserFor(node: Node): Fast {
  const def = node._zod.def;
  if (def.coerce) return delegate(node);
  switch (def.type) {
    case "string":
      return (v) => (typeof v === "string" ? v : FAIL);
    case "number":
      return (v) => (typeof v === "number" && Number.isFinite(v) ? v : FAIL);
    case "boolean":
      return (v) => (typeof v === "boolean" ? v : FAIL);
    case "null":
      return (v) => (v === null ? v : FAIL);
    case "unknown":
    case "any":
      return (v) => v;
    case "enum":
    case "literal": {
      const values = node._zod.values as Set<unknown>;
      return (v) => (values.has(v) ? v : FAIL);
    }
    case "optional": {
      if (node._zod.traits.has("$ZodExactOptional")) return delegate(node);
      const inner = compileFast(def.innerType);
      const substitutes = def.innerType._zod.optin === "defaulted";
      // zod answers undefined where a substituting inner schema fails on absence.
      return (v) => {
        if (v !== undefined) return inner(v);
        if (!substitutes) return undefined;
        const x = inner(v);
        return accepted(x) ? x : UNSURE;
      };
    }
    case "nullable": {
      const inner = compileFast(def.innerType);
      return (v) => (v === null ? null : inner(v));
    }
    case "default": {
      const inner = compileFast(def.innerType);
      return (v) => {
        if (v === undefined) return def.defaultValue;
        const out = inner(v);
        return out === undefined ? def.defaultValue : out;
      };
    }
    case "array": {
      const element = compileFast(def.element);
      return (v) => {
        if (!Array.isArray(v)) return FAIL;
        const out = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const x = element(v[i]);
          if (!accepted(x)) return x;
          out[i] = x;
        }
        return out;
      };
    }
    case "object":
      return objectParser(node);
    case "record":
      return recordParser(node);
    case "union":
      return def.inclusive === false ? (def.discriminator ? discriminatedParser(node) : delegate(node)) : unionParser(node);
    default:
      return delegate(node);
  }
}

const isObject = z.core.util.isObject as (v: unknown) => v is Record<string, unknown>;

function objectParser(node: Node): Fast {
  const def = node._zod.def;
  const catchall = def.catchall as Node | undefined;
  const shape = def.shape as Record<string, Node>;
  if (Object.getOwnPropertySymbols(shape).length || (catchall && catchall._zod.def.type !== "never")) return delegate(node);
  const strict = catchall !== undefined;
  const keys = Object.keys(shape).filter((k) => k !== "__proto__");
  const keySet = new Set(Object.keys(shape));
  const fields = keys.map((key) => ({ key, parse: compileFast(shape[key] as never), optin: shape[key]!._zod.optin, optout: shape[key]!._zod.optout }));
  return (v) => {
    if (!isObject(v)) return FAIL;
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const present = f.key in v;
      const optionalOut = f.optout === "optional";
      // zod's handlePropertyResult: an absent optional key adds nothing; an absent required one is an error.
      if (!present && optionalOut && f.optin === "optional") continue;
      if (!present && f.optin === undefined) return FAIL;
      const x = f.parse(v[f.key]);
      // zod drops an absent optional key's errors.
      if (!accepted(x)) return present ? x : UNSURE;
      if (x === undefined) {
        if (present || (f.optin === "defaulted" && !optionalOut)) out[f.key] = undefined;
      } else out[f.key] = x;
    }
    if (strict) for (const k in v) if (!keySet.has(k)) return FAIL;
    return out;
  };
}

function recordParser(node: Node): Fast {
  const def = node._zod.def;
  if (def.keyType._zod.values || def.mode === "loose") return delegate(node);
  const key = compileFast(def.keyType);
  const value = compileFast(def.valueType);
  const plain = z.core.util.isPlainObject;
  return (v) => {
    if (!plain(v)) return FAIL;
    const input = v as Record<PropertyKey, unknown>;
    const out: Record<PropertyKey, unknown> = {};
    for (const k of Reflect.ownKeys(input)) {
      if (k === "__proto__" || !Object.prototype.propertyIsEnumerable.call(input, k)) continue;
      const outKey = key(k);
      // zod tries a refused numeric key again as a number, and skips a key its schema turns into __proto__.
      if (!accepted(outKey) || outKey === "__proto__") return UNSURE;
      const x = value(input[k]);
      if (!accepted(x)) return x;
      out[outKey as PropertyKey] = x;
    }
    return out;
  };
}

function unionParser(node: Node): Fast {
  const options = (node._zod.def.options as Node[]).map((o) => compileFast(o as never));
  return (v) => {
    // zod takes the first option that accepts: a later one may answer only when every earlier one surely refused.
    for (const option of options) {
      const x = option(v);
      if (x !== FAIL) return x;
    }
    return FAIL;
  };
}

function discriminatedParser(node: Node): Fast {
  const def = node._zod.def;
  if (def.unionFallback) return delegate(node);
  const byValue = new Map<unknown, Fast>();
  for (const option of def.options as Node[]) {
    const values = (option._zod as { propValues?: Record<string, Set<unknown>> }).propValues?.[def.discriminator];
    if (!values) return delegate(node);
    for (const value of values) {
      if (byValue.has(value)) return delegate(node);
      byValue.set(value, compileFast(option as never));
    }
  }
  return (v) => {
    if (!isObject(v)) return FAIL;
    const option = byValue.get(v[def.discriminator]);
    return option ? option(v) : FAIL;
  };
}
