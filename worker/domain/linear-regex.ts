/**
 * Regular expressions an operator writes (a recharge account's format), matched in time linear in the input.
 * JavaScript's RegExp backtracks: `^(a+)+$` against "aaaa…!" doubles its work with every character, and one request
 * could hold the worker for hours. This is a Thompson NFA over a subset of the syntax: literals and escapes, `.`,
 * classes, groups, `|`, and `* + ? {n} {n,} {n,m}` (lazy or not: a test only asks whether it matches). Back-references,
 * look-arounds and word boundaries (which an NFA cannot run) are refused when the pattern is saved.
 * Semantics are RegExp.prototype.test with the "u" flag.
 */

type Test = (cp: number) => boolean;
type State = { kind: "char"; test: Test; out: number } | { kind: "split"; a: number; b: number } | { kind: "start" | "end"; out: number } | { kind: "match" };

/** A node of the parsed pattern. */
type Node =
  | { t: "char"; test: Test }
  | { t: "start" | "end" }
  | { t: "seq"; items: Node[] }
  | { t: "alt"; options: Node[] }
  | { t: "rep"; node: Node; min: number; max: number };

const MAX_REPEAT = 100;
const MAX_STATES = 5000;

export class PatternError extends Error {}

const isDigit: Test = (c) => c >= 48 && c <= 57;
const isWord: Test = (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const SPACES = new Set([9, 10, 11, 12, 13, 32, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff]);
const isSpace: Test = (c) => SPACES.has(c) || (c >= 0x2000 && c <= 0x200a);
const not = (t: Test): Test => (c) => !t(c);
const LINE_END = new Set([10, 13, 0x2028, 0x2029]);
const CLASS_ESCAPES: Record<string, Test> = { d: isDigit, D: not(isDigit), w: isWord, W: not(isWord), s: isSpace, S: not(isSpace) };
const CONTROL: Record<string, number> = { t: 9, n: 10, r: 13, v: 11, f: 12, "0": 0 };
const SYNTAX = "^$\\.*+?()[]{}|/-";

function parse(src: string): Node {
  const cps = Array.from(src);
  let i = 0;
  const peek = () => cps[i];
  const fail = (why: string): never => {
    throw new PatternError(`${why} at ${i}`);
  };

  /** An escape after "\": a class escape (\d) or one code point. */
  function escape(inClass: boolean): Test | number {
    const c = cps[i++] ?? fail("a pattern cannot end with \\");
    if (c in CLASS_ESCAPES) return CLASS_ESCAPES[c]!;
    if (c in CONTROL) {
      if (c === "0" && /[0-9]/.test(peek() ?? "")) fail("octal escapes are not supported");
      return CONTROL[c]!;
    }
    if (c === "u" || c === "x") {
      const braced = c === "u" && peek() === "{";
      const hex = braced ? /^\{([0-9a-fA-F]{1,6})\}/.exec(cps.slice(i, i + 8).join("")) : /^[0-9a-fA-F]+/.exec(cps.slice(i, i + (c === "u" ? 4 : 2)).join(""));
      const digits = braced ? hex?.[1] : hex?.[0];
      if (!hex || (!braced && digits!.length !== (c === "u" ? 4 : 2))) fail(`\\${c} needs hex digits`);
      i += hex![0].length;
      return parseInt(digits!, 16);
    }
    if (c === "b" && inClass) return 8;
    if (SYNTAX.includes(c)) return c.codePointAt(0)!;
    if (/[1-9]/.test(c)) return fail("back-references are not supported");
    if (c === "b" || c === "B") return fail("word boundaries are not supported");
    return fail(`\\${c} is not a known escape`);
  }

  function charClass(): Test {
    const negated = peek() === "^" && !!++i;
    const parts: Test[] = [];
    const atom = (): Test | number => {
      const c = cps[i++] ?? fail("unterminated character class");
      return c === "\\" ? escape(true) : c.codePointAt(0)!;
    };
    while (peek() !== "]") {
      if (i >= cps.length) fail("unterminated character class");
      const lo = atom();
      if (peek() === "-" && cps[i + 1] !== "]" && i + 1 < cps.length) {
        i++;
        const hi = atom();
        if (typeof lo !== "number" || typeof hi !== "number") fail("a range needs two characters");
        if (lo > hi) fail("range out of order");
        parts.push((c) => c >= (lo as number) && c <= (hi as number));
      } else parts.push(typeof lo === "number" ? (c) => c === lo : lo);
    }
    i++;
    const any: Test = (c) => parts.some((p) => p(c));
    return negated ? not(any) : any;
  }

  function quantifier(): { min: number; max: number } | null {
    const c = peek();
    let q: { min: number; max: number } | null = null;
    if (c === "*") q = { min: 0, max: Infinity };
    else if (c === "+") q = { min: 1, max: Infinity };
    else if (c === "?") q = { min: 0, max: 1 };
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(cps.slice(i, i + 12).join(""));
      if (!m) return fail("a lone { must be escaped");
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      if (max < min) fail("numbers out of order in {}");
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) fail(`repeat counts above ${MAX_REPEAT} are not supported`);
      i += m[0].length - 1;
      q = { min, max };
    }
    if (!q) return null;
    i++;
    if (peek() === "?") i++;
    return q;
  }

  function term(): Node | null {
    const c = peek();
    if (c === undefined || c === "|" || c === ")") return null;
    i++;
    let node: Node;
    if (c === "^") return { t: "start" };
    if (c === "$") return { t: "end" };
    if (c === "(") {
      if (peek() === "?") {
        if (cps[i + 1] === ":") i += 2;
        else if (cps[i + 1] === "<" && /[A-Za-z_$]/.test(cps[i + 2] ?? "")) {
          while (i < cps.length && peek() !== ">") i++;
          i++;
        } else fail("look-arounds are not supported");
      }
      node = alternation();
      if (peek() !== ")") fail("unterminated group");
      i++;
    } else if (c === "[") node = { t: "char", test: charClass() };
    else if (c === ".") node = { t: "char", test: (cp) => !LINE_END.has(cp) };
    else if (c === "\\") {
      const e = escape(false);
      node = { t: "char", test: typeof e === "number" ? (cp) => cp === e : e };
    } else if ("*+?{".includes(c)) return fail("nothing to repeat");
    else if (c === "]" || c === "}") return fail(`a lone ${c} must be escaped`);
    else {
      const cp = c.codePointAt(0)!;
      node = { t: "char", test: (x) => x === cp };
    }
    const q = quantifier();
    return q ? { t: "rep", node, ...q } : node;
  }

  function alternation(): Node {
    const options: Node[] = [];
    for (;;) {
      const items: Node[] = [];
      for (let n = term(); n; n = term()) items.push(n);
      options.push({ t: "seq", items });
      if (peek() !== "|") break;
      i++;
    }
    return options.length === 1 ? options[0]! : { t: "alt", options };
  }

  const root = alternation();
  if (i < cps.length) fail("unmatched )");
  return root;
}

/** The NFA: states[0] is the start; every state's out points forward or back by index. */
function compile(root: Node): State[] {
  const HOLE = -1;
  // The entry, a jump to the pattern's first state once it is built.
  const states: State[] = [{ kind: "split", a: HOLE, b: HOLE }];
  const add = (s: State) => {
    if (states.length >= MAX_STATES) throw new PatternError("pattern too large");
    states.push(s);
    return states.length - 1;
  };
  // Each fragment: its entry state and the states whose out (or b) still needs patching.
  type Frag = { start: number; holes: { s: number; field: "out" | "a" | "b" }[] };
  const patch = (f: Frag, to: number) => {
    for (const h of f.holes) (states[h.s] as Record<string, unknown>)[h.field] = to;
  };
  const empty = (): Frag => {
    const s = add({ kind: "split", a: HOLE, b: HOLE });
    // A split whose both arms go to the same place: an epsilon.
    return { start: s, holes: [{ s, field: "a" }, { s, field: "b" }] };
  };
  function build(n: Node): Frag {
    switch (n.t) {
      case "char": {
        const s = add({ kind: "char", test: n.test, out: HOLE });
        return { start: s, holes: [{ s, field: "out" }] };
      }
      case "start":
      case "end": {
        const s = add({ kind: n.t, out: HOLE });
        return { start: s, holes: [{ s, field: "out" }] };
      }
      case "seq": {
        if (n.items.length === 0) return empty();
        const frags = n.items.map(build);
        for (let k = 0; k + 1 < frags.length; k++) patch(frags[k]!, frags[k + 1]!.start);
        return { start: frags[0]!.start, holes: frags[frags.length - 1]!.holes };
      }
      case "alt": {
        const frags = n.options.map(build);
        let start = frags[frags.length - 1]!.start;
        for (let k = frags.length - 2; k >= 0; k--) start = add({ kind: "split", a: frags[k]!.start, b: start });
        return { start, holes: frags.flatMap((f) => f.holes) };
      }
      case "rep": {
        // x{min,max}: min copies, then (max - min) optional copies, or a loop when max is unbounded.
        const parts: Frag[] = [];
        for (let k = 0; k < n.min; k++) parts.push(build(n.node));
        if (n.max === Infinity) {
          const body = build(n.node);
          const s = add({ kind: "split", a: body.start, b: HOLE });
          patch(body, s);
          parts.push({ start: s, holes: [{ s, field: "b" }] });
        } else {
          for (let k = n.min; k < n.max; k++) {
            const body = build(n.node);
            const s = add({ kind: "split", a: body.start, b: HOLE });
            parts.push({ start: s, holes: [...body.holes, { s, field: "b" }] });
          }
        }
        if (parts.length === 0) return empty();
        for (let k = 0; k + 1 < parts.length; k++) patch(parts[k]!, parts[k + 1]!.start);
        return { start: parts[0]!.start, holes: parts[parts.length - 1]!.holes };
      }
    }
  }
  const f = build(root);
  patch(f, add({ kind: "match" }));
  patch({ start: 0, holes: [{ s: 0, field: "a" }, { s: 0, field: "b" }] }, f.start);
  return states;
}

export interface LinearRegex {
  test(input: string): boolean;
}

/** Parses and compiles; throws PatternError for what it does not support. */
export function linearRegex(pattern: string): LinearRegex {
  const states = compile(parse(pattern));
  return {
    test(input) {
      const cps = Array.from(input, (c) => c.codePointAt(0)!);
      let current = new Set<number>();
      // Adds s and what it reaches without reading a character at position `at`; true when it reaches the match.
      const close = (set: Set<number>, s: number, at: number): boolean => {
        const stack = [s];
        let matched = false;
        while (stack.length) {
          const k = stack.pop()!;
          if (set.has(k)) continue;
          set.add(k);
          const st = states[k]!;
          if (st.kind === "split") stack.push(st.b, st.a);
          else if (st.kind === "start") { if (at === 0) stack.push(st.out); }
          else if (st.kind === "end") { if (at === cps.length) stack.push(st.out); }
          else if (st.kind === "match") matched = true;
        }
        return matched;
      };
      for (let at = 0; at <= cps.length; at++) {
        // test() searches: a match may start at any position.
        if (close(current, 0, at)) return true;
        if (at === cps.length) break;
        const next = new Set<number>();
        for (const k of current) {
          const st = states[k]!;
          if (st.kind === "char" && st.test(cps[at]!) && close(next, st.out, at + 1)) return true;
        }
        current = next;
      }
      return false;
    },
  };
}

/** null when the pattern is supported; else why not. */
export function patternProblem(pattern: string): string | null {
  try {
    linearRegex(pattern);
    return null;
  } catch (e) {
    if (e instanceof PatternError) return e.message;
    throw e;
  }
}
