/**
 * How a prize's name fits the lottery wheel (lib/prize-stage.ts draws it): pure, no DOM, tested in
 * test/unit/wheel-label-unit.test.ts. Widths are estimated (CJK 1 em, ASCII 0.6 em); test/browser/lottery-browser checks
 * the laid-out text against the slices in Chromium.
 */
/** A label's width in em, estimated: CJK and full-width characters 1 em, ASCII 0.6 em, a space 0.3 em. */
export const em = (s: string) => [...s].reduce((w, ch) => w + (/[^\x00-\xff]/.test(ch) ? 1 : ch === " " ? 0.3 : 0.6), 0);
/** Where a label may break: not inside a number with its unit or an ASCII run ("100元", "VIP"), nor before closing / after opening punctuation. */
const TOKENS = /[\x21-\x7e]+[元折个天月年]?[）」』】〉》，。、：；！？]*|\s+|[（「『【〈《]*[^\s\x21-\x7e][）」』】〉》，。、：；！？]*/gu;

function wrap(tokens: string[], maxEm: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const tok of tokens) {
    if (line && em((line + tok).trimEnd()) > maxEm) {
      lines.push(line.trimEnd());
      line = "";
    }
    if (line || tok.trim()) line += tok;
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines;
}

/** The label in at most k lines of about equal width (the narrowest wrap that needs no more than k). */
function balance(tokens: string[], k: number): string[] {
  const total = em(tokens.join(""));
  for (let w = total / k; ; w += 0.25) {
    const lines = wrap(tokens, w);
    if (lines.length <= k) return lines;
  }
}

const RIM = 96;
/** The outermost a label reaches: clear of the pointer over the top of the wheel (22 px of a 280 px stage). */
const OUTER = RIM - 12;
const MIN_SIZE = 7;
/** The odds line under a name: a little smaller, never below 6.5. */
export const oddsSize = (size: number) => Math.max(6.5, size - 2);

/** The label's phrases: broken only at spaces, before an opening bracket and after a closing one or a comma. */
const phrases = (label: string) =>
  label.trim().split(/(\s+)/).flatMap((w) => (w.trim() ? w.split(/(?<=[）)\]】」，,、；;：:])|(?=[（(\[【「])/) : [w]));

/**
 * How a label turns in its slice so that it reads within 45° of upright where the slice rests (`deg`: the slice's
 * middle, clockwise from the top of the screen): across the slice (0; 180, turned over, on the lower part) near the
 * top and bottom, along the radius near the sides (-90 reading outward on the right, 90 reading inward on the left).
 * Text across a slice at 3 or 9 o'clock, the one layout before, read sideways.
 */
export function labelTurn(deg: number): 0 | 180 | -90 | 90 {
  const a = ((deg % 360) + 360) % 360;
  if (a <= 45 || a >= 315) return 0;
  if (a >= 135 && a <= 225) return 180;
  return a < 180 ? -90 : 90;
}

/** Across the slice (its width holds the lines) or along its radius (its length does). */
export type LabelRun = "across" | "along";

/**
 * How a prize's name sits in its slice of the wheel (viewBox units: the wheel's radius is 96): the whole name, in up to
 * four balanced lines, at the largest font size (11, down to 7) whose block — the name's lines and the odds line under
 * them — fits between the hub and the rim and inside the slice's edges. Lines break between phrases
 * ("100元代金券 / （满200元可用）") while that fits at 8.5 or more, else between characters. Only a name too long for
 * four lines at the smallest size loses its end (…): the odds table under the wheel names every prize in full anyway.
 * `radius` is where the block's middle goes, out from the centre. `run` "along" lays the lines along the radius
 * (labelTurn ±90): the block's length is then its widest line and its thickness must fit the slice where it is narrowest.
 */
export function wheelLabel(label: string, slices: number, withOdds: boolean, run: LabelRun = "across"): { lines: string[]; size: number; radius: number } {
  const spread = slices <= 2 ? Infinity : Math.tan(Math.PI / slices);
  const max = slices > 8 ? 9 : 11;
  const height = (size: number, k: number) => k * size * 1.2 + (withOdds ? oddsSize(size) * 1.2 : 0);
  /** The room each side of the slice's middle line for a block of height h whose outer edge is at `outer`. */
  const room = (outer: number, h: number) => Math.min((outer - h) * spread, Math.sqrt(RIM ** 2 - outer ** 2)) - 2;
  /** Along the radius: the outer end as far out as the rim allows (no pointer over a side slice), the inner end where the slice is wide enough. */
  const alongOuter = (h: number) => Math.sqrt((RIM - 6) ** 2 - (h / 2) ** 2);
  const alongInner = (h: number) => Math.max(22, (h / 2 + 2) / spread);
  /** The widest line a block of height h may have, and where its middle goes for a line of width `widest` (null: it does not fit). */
  const place = (widest: number, h: number): number | null => {
    if (run === "along") return widest <= alongOuter(h) - alongInner(h) ? alongOuter(h) - widest / 2 : null;
    // As far out as it fits: the slice is wider there, but the rim comes closer to a wide line.
    for (let outer = OUTER; outer - h >= 22; outer -= 2) if (widest / 2 <= room(outer, h)) return outer - h / 2;
    return null;
  };
  const fit = (tokens: string[], min: number) => {
    for (let size = max; size >= min; size -= 0.5) {
      for (let k = 1; k <= 4; k++) {
        const lines = balance(tokens, k);
        if (lines.length < k) break;
        const radius = place(Math.max(...lines.map(em)) * size, height(size, k));
        if (radius !== null) return { lines, size, radius };
      }
    }
    return null;
  };
  const tokens = label.trim().match(TOKENS) ?? [label];
  const found = fit(phrases(label), 8.5) ?? fit(tokens, MIN_SIZE);
  if (found) return found;
  // Too long even so: four lines as wide as the slice allows where it is widest, the last one cut short.
  const h = height(MIN_SIZE, 4);
  let widest = 0;
  if (run === "along") widest = alongOuter(h) - alongInner(h);
  else for (let outer = OUTER; outer - h >= 22; outer -= 2) widest = Math.max(widest, 2 * room(outer, h));
  const maxEm = widest / MIN_SIZE;
  const lines = wrap(tokens, maxEm);
  if (lines.length > 4) {
    const last = [...lines[3]!];
    while (last.length > 1 && em(`${last.join("")}…`) > maxEm) last.pop();
    lines.splice(3, lines.length, `${last.join("").trimEnd()}…`);
  }
  // Fewer lines than four, or lines narrower than the widest allowed, fit where the widest four would.
  return { lines, size: MIN_SIZE, radius: place(Math.min(widest, Math.max(...lines.map(em)) * MIN_SIZE), height(MIN_SIZE, lines.length))! };
}
