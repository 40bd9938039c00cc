import { describe, expect, it } from "vitest";
import { reconcile, type Mismatch, type OurRecord, type TheirLine } from "../../worker/domain/reconcile";

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const line = (r: OurRecord, amountCents = r.amountCents): TheirLine => ({ kind: r.kind, ref: r.ref, externalRef: `gw_${r.ref}`, amountCents, feeCents: Math.round(amountCents * 0.006), at: r.at });
const sig = (m: Pick<Mismatch, "kind" | "ref">) => `${m.kind}:${m.ref}`;

/** A day's books (payments and refunds), a faithful statement, then every kind of mismatch planted at random places. */
function plantedDay(seed: number) {
  const rand = rng(seed);
  const n = 40 + Math.floor(rand() * 60);
  const ours: OurRecord[] = Array.from({ length: n }, (_, i) => ({
    kind: rand() < 0.8 ? "payment" : "refund", ref: `p${seed}_${i}`, orderRef: `o${seed}_${i}`, amountCents: 100 + Math.floor(rand() * 100_000), at: `2026-11-0${1 + (i % 9)}T00:00:00Z`,
  }));
  const theirs = ours.map((r) => line(r));
  const planted: string[] = [];
  const pick = () => Math.floor(rand() * ours.length);
  const used = new Set<number>();
  const fresh = () => {
    for (;;) {
      const i = pick();
      if (!used.has(i)) return used.add(i), i;
    }
  };
  for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
    const i = fresh();
    theirs.splice(theirs.findIndex((l) => l.ref === ours[i]!.ref), 1);
    planted.push(`missing_theirs:${ours[i]!.ref}`);
  }
  for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
    const ref = `stray${seed}_${k}`;
    theirs.push({ kind: "payment", ref, externalRef: `gw_${ref}`, amountCents: 500, feeCents: 3, at: "2026-11-01T01:00:00Z" });
    planted.push(`missing_ours:${ref}`);
  }
  for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
    const i = fresh();
    const l = theirs.find((x) => x.ref === ours[i]!.ref)!;
    l.amountCents += 1 + Math.floor(rand() * 50);
    planted.push(`amount_mismatch:${ours[i]!.ref}`);
  }
  for (let k = 0; k < 1 + Math.floor(rand() * 2); k++) {
    const i = fresh();
    theirs.push({ ...line(ours[i]!), externalRef: `gw_again_${k}` });
    planted.push(`duplicate_theirs:${ours[i]!.ref}`);
  }
  {
    const i = fresh();
    ours.push({ ...ours[i]! });
    planted.push(`duplicate_ours:${ours[i]!.ref}`);
  }
  {
    // The same order charged twice under two payment ids, both on the statement: a duplicate, nothing else.
    const i = fresh();
    const base = ours[i]!;
    if (base.kind === "payment") {
      const twin = { ...base, ref: `${base.ref}_twin` };
      ours.push(twin);
      theirs.push(line(twin));
      planted.push(`duplicate_ours:${base.orderRef}`);
    }
  }
  // Shuffle both sides: order must not matter.
  for (const arr of [ours, theirs] as unknown[][]) for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return { ours, theirs, planted };
}

describe("reconcile", () => {
  it("a faithful statement matches everything, totals agree", () => {
    const ours: OurRecord[] = [
      { kind: "payment", ref: "pay_1", orderRef: "o1", amountCents: 1990, at: "2026-11-01T01:00:00Z" },
      { kind: "refund", ref: "rf_1", amountCents: 500, at: "2026-11-01T02:00:00Z" },
    ];
    const r = reconcile(ours, ours.map((o) => line(o)));
    expect(r.mismatches).toEqual([]);
    expect(r.totals.matched).toEqual({ count: 2, cents: 2490 });
    expect(r.totals.ours).toEqual({ count: 2, cents: 1490 });
    expect(r.totals.theirs).toMatchObject({ count: 2, cents: 1490, feeCents: 12 - 3 });
    expect(r.totals.differenceCents).toBe(0);
  });

  it("every kind of mismatch is reported with its side, cents and totals", () => {
    const ours: OurRecord[] = [
      { kind: "payment", ref: "a", orderRef: "o1", amountCents: 1000, at: "t" },
      { kind: "payment", ref: "b", orderRef: "o2", amountCents: 2000, at: "t" },
      { kind: "payment", ref: "b", orderRef: "o2", amountCents: 2000, at: "t" },
      { kind: "refund", ref: "c", amountCents: 300, at: "t" },
    ];
    const theirs: TheirLine[] = [
      { kind: "payment", ref: "b", externalRef: "gb", amountCents: 2100, feeCents: 13, at: "t" },
      { kind: "refund", ref: "c", externalRef: "gc", amountCents: 300, feeCents: 2, at: "t" },
      { kind: "refund", ref: "c", externalRef: "gc2", amountCents: 300, feeCents: 2, at: "t" },
      { kind: "payment", ref: "z", externalRef: "gz", amountCents: 700, feeCents: 4, at: "t" },
    ];
    const r = reconcile(ours, theirs);
    expect(r.mismatches.map(sig).sort()).toEqual(["amount_mismatch:b", "duplicate_ours:b", "duplicate_theirs:c", "missing_ours:z", "missing_theirs:a"]);
    expect(r.mismatches.find((m) => m.kind === "amount_mismatch")).toMatchObject({ ourCents: 2000, theirCents: 2100, externalRef: "gb" });
    expect(r.totals).toMatchObject({
      matched: { count: 1, cents: 300 }, missingTheirs: { count: 1, cents: 1000 }, missingOurs: { count: 1, cents: 700 },
      amountMismatch: { count: 1, cents: 100, ourCents: 2000, theirCents: 2100 }, duplicateOurs: { count: 1, cents: 2000 }, duplicateTheirs: { count: 1, cents: 300 },
    });
    expect(r.totals.ours.cents).toBe(1000 + 2000 + 2000 - 300);
    expect(r.totals.theirs.cents).toBe(2100 - 300 - 300 + 700);
  });

  it("the same ref as a payment and as a refund are different records", () => {
    const r = reconcile([{ kind: "payment", ref: "x", amountCents: 5, at: "t" }], [{ kind: "refund", ref: "x", externalRef: "g", amountCents: 5, feeCents: 0, at: "t" }]);
    expect(r.mismatches.map(sig).sort()).toEqual(["missing_ours:x", "missing_theirs:x"]);
  });

  it("randomised statements: every planted mismatch is found and nothing else", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { ours, theirs, planted } = plantedDay(seed);
      const r = reconcile(ours, theirs);
      expect(r.mismatches.map(sig).sort(), `seed ${seed}`).toEqual([...planted].sort());
      const refs = new Set(planted.map((p) => p.split(":")[1]));
      const faithful = new Set(ours.filter((o) => !refs.has(o.ref) && !refs.has(o.orderRef ?? "")).map((o) => o.ref));
      // The twin of a double-paid order matches its own line too; everything untouched is matched.
      for (const ref of faithful) expect(r.matched.some((m) => m.ref === ref), `seed ${seed} ${ref}`).toBe(true);
    }
  });
});
