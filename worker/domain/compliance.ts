import type { ComplianceFinding } from "../../schema/catalog";

/**
 * Finds banned absolute claims (China's Advertising Law art. 9) in copy. Longer phrases win over their parts
 * ("最低价" is reported once, not also as "最"); matching ignores ASCII case so "no.1" is caught too.
 */
export function findBannedPhrases(texts: Record<string, string>, phrases: string[]): ComplianceFinding[] {
  const sorted = [...new Set(phrases)].sort((a, b) => b.length - a.length);
  const findings: ComplianceFinding[] = [];
  for (const [field, text] of Object.entries(texts)) {
    const lower = text.toLowerCase();
    const taken = new Uint8Array(text.length);
    for (const phrase of sorted) {
      const needle = phrase.toLowerCase();
      let from = 0;
      for (;;) {
        const i = lower.indexOf(needle, from);
        if (i < 0) break;
        from = i + 1;
        if (taken.subarray(i, i + needle.length).some((x) => x === 1)) continue;
        taken.fill(1, i, i + needle.length);
        findings.push({ field, phrase, index: i, excerpt: text.slice(Math.max(0, i - 8), i + needle.length + 8) });
      }
    }
  }
  return findings.sort((a, b) => (a.field === b.field ? a.index - b.index : a.field < b.field ? -1 : 1));
}
