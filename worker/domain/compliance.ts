import type { ComplianceFinding } from "../../schema/catalog";

// Whitespace and invisible format characters (zero-width space/joiners, soft hyphen, BOM) split a phrase for the
// matcher but not for the reader: "国 家 级" and "第\u200B一" are still the claim.
const IGNORED = /^[\s\p{Cf}]$/u;

/**
 * Copy as the lint matches it: NFKC (full-width "１００％", "ＮＯ．１" become "100%", "NO.1"), lower case, without
 * whitespace or zero-width characters. `from[i]`/`to[i]` give the span of the original text that normalised unit i
 * came from, so findings point at the text as written.
 */
export function normalizeCopy(text: string): { text: string; from: number[]; to: number[] } {
  let out = "";
  const from: number[] = [];
  const to: number[] = [];
  let i = 0;
  for (const ch of text) {
    const end = i + ch.length;
    if (!IGNORED.test(ch)) {
      // Per code point, so every output unit maps back to one original character.
      const n = ch.normalize("NFKC").toLowerCase().replace(/[\s\p{Cf}]/gu, "");
      out += n;
      for (let k = 0; k < n.length; k++) from.push(i), to.push(end);
    }
    i = end;
  }
  return { text: out, from, to };
}

/** Where `word` occurs in `text` after normalising both, as [start, end) spans of the original text. */
export function findNormalized(text: string, word: string): [number, number][] {
  const t = normalizeCopy(text);
  const needle = normalizeCopy(word).text;
  const spans: [number, number][] = [];
  if (!needle) return spans;
  for (let i = t.text.indexOf(needle); i >= 0; i = t.text.indexOf(needle, i + 1)) spans.push([t.from[i]!, t.to[i + needle.length - 1]!]);
  return spans;
}

/**
 * Finds banned absolute claims (China's Advertising Law art. 9) in copy. Longer phrases win over their parts
 * ("最低价" is reported once, not also as "最"). Matching is on the normalised copy (see normalizeCopy), so
 * "１００％", "ＮＯ．１", "no.1" and "国 家 级" are caught; `index` and `text` are the claim as written.
 */
export function findBannedPhrases(texts: Record<string, string>, phrases: string[]): ComplianceFinding[] {
  const needles = [...new Set(phrases)].map((phrase) => ({ phrase, needle: normalizeCopy(phrase).text })).filter((p) => p.needle);
  needles.sort((a, b) => b.needle.length - a.needle.length);
  const findings: ComplianceFinding[] = [];
  for (const [field, text] of Object.entries(texts)) {
    const norm = normalizeCopy(text);
    const taken = new Uint8Array(norm.text.length);
    for (const { phrase, needle } of needles) {
      for (let i = norm.text.indexOf(needle); i >= 0; i = norm.text.indexOf(needle, i + 1)) {
        if (taken.subarray(i, i + needle.length).some((x) => x === 1)) continue;
        taken.fill(1, i, i + needle.length);
        const start = norm.from[i]!;
        const end = norm.to[i + needle.length - 1]!;
        findings.push({ field, phrase, index: start, text: text.slice(start, end), excerpt: text.slice(Math.max(0, start - 8), end + 8) });
      }
    }
  }
  return findings.sort((a, b) => (a.field === b.field ? a.index - b.index : a.field < b.field ? -1 : 1));
}

/** Drops findings that lie inside an allowed ordinary word ("最多", "第一步": a limit or an order, not a claim). */
export function outsideAllowedWords<F extends ComplianceFinding>(findings: F[], texts: Record<string, string>, allowed: readonly string[]): F[] {
  const spans: Record<string, [number, number][]> = {};
  const within = (f: F) => (spans[f.field] ??= allowed.flatMap((word) => findNormalized(texts[f.field] ?? "", word)))
    .some(([from, to]) => f.index >= from && f.index + f.text.length <= to);
  return findings.filter((f) => !within(f));
}
