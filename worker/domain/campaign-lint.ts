import type { ComplianceFinding } from "../../schema/catalog";
import { findBannedPhrases, normalizeCopy, outsideAllowedWords } from "./compliance";

export interface CampaignLintRules {
  banned: string[];
  promisedWin: string[];
  shareGating: RegExp[];
  /** Words of an extra chance ("额外", "多抽"): a sharing wording that holds one offers more, it is not a condition. */
  extraChance?: RegExp;
  /** Words just before a sharing wording that say it is not needed ("无需", "don't need to"): then it is no condition. */
  notRequired?: RegExp;
  /** Ordinary words containing a banned phrase ("第一行", "最多", "最后"): what lies inside them is not a claim. */
  allowed?: string[];
}

export type CampaignLintFinding = ComplianceFinding & { rule: "banned_phrase" | "promised_win" | "share_gated" };

/**
 * The copy a participant reads on a campaign, checked like a product's: absolute claims (广告法 art. 9), promises of a
 * win, and wording that makes sharing a condition of taking part (a draw may offer sharing as an extra chance only).
 */
export function lintCampaignCopy(texts: Record<string, string>, rules: CampaignLintRules): CampaignLintFinding[] {
  const promised = findBannedPhrases(texts, rules.promisedWin).map((f) => ({ ...f, rule: "promised_win" as const }));
  const taken = new Set(promised.map((f) => `${f.field}:${f.index}`));
  const banned = outsideAllowedWords(findBannedPhrases(texts, rules.banned), texts, rules.allowed ?? [])
    // "100%中奖" is reported once, as a promise, not again as the absolute "100%".
    .filter((f) => !promised.some((p) => p.field === f.field && f.index >= p.index && f.index < p.index + p.text.length))
    .map((f) => ({ ...f, rule: "banned_phrase" as const }));
  const gated: CampaignLintFinding[] = [];
  for (const [field, text] of Object.entries(texts)) {
    // Chinese wordings are matched on the normalised copy (full-width forms folded, spaces and zero-width characters
    // dropped: "分 享后才能抽奖" is the same sentence), with line breaks kept as sentence ends; English ones on the text
    // as written, whose spaces separate words. Findings point at the text as written.
    const norm = normalizeCopy(text.replace(/[\r\n]/g, "。"));
    // One wording matched by two patterns ("先分享…才能抽奖" and "分享…才能抽奖") is one problem: overlaps are dropped.
    const covered: [number, number][] = [];
    for (const re of rules.shareGating) {
      const latin = /[A-Za-z]/.test(re.source.replace(/\\[A-Za-z]/g, ""));
      const hay = latin ? text : norm.text;
      for (const m of hay.matchAll(new RegExp(re.source, "g"))) {
        const [start, end] = latin ? [m.index, m.index + m[0].length] : [norm.from[m.index]!, norm.to[m.index + m[0].length - 1]!];
        if (taken.has(`${field}:${start}`) || covered.some(([a, b]) => start < b && end > a) || rules.extraChance?.test(m[0]) || rules.notRequired?.test(hay.slice(Math.max(0, m.index - 16), m.index))) continue;
        taken.add(`${field}:${start}`);
        covered.push([start, end]);
        const written = text.slice(start, end);
        gated.push({ field, phrase: written, index: start, text: written, excerpt: text.slice(Math.max(0, start - 8), end + 8), rule: "share_gated" });
      }
    }
  }
  return [...promised, ...banned, ...gated].sort((a, b) => (a.field === b.field ? a.index - b.index : a.field < b.field ? -1 : 1));
}

export interface DisclosureProblem {
  field: string;
  message: string;
}

/**
 * What a lottery must publish before it may open (反不正当竞争法 art. 10, 规范促销行为暂行规定 art. 13): its odds
 * (every prize weighted, a positive total), each prize's stock and validity (redemption window), and its organiser
 * (主办方) with a contact. Each missing item is reported with the field that has to be filled in.
 */
export function lotteryDisclosureProblems(
  def: { kind: string; organiser: { name: string; contact: string } | null; prizes: { weight: number; stock: number }[]; noPrizeWeight: number },
  prizeHasValidity: boolean[],
): DisclosureProblem[] {
  if (def.kind !== "lottery") return [];
  const problems: DisclosureProblem[] = [];
  if (!def.organiser?.name) problems.push({ field: "organiser.name", message: "name the organiser (主办方) of the lottery" });
  if (!def.organiser?.contact) problems.push({ field: "organiser.contact", message: "give the organiser's contact (phone or e-mail) for questions about prizes" });
  if (!def.prizes.length) problems.push({ field: "prizes", message: "publish at least one prize with its stock and odds" });
  def.prizes.forEach((p, i) => {
    if (!(p.stock > 0)) problems.push({ field: `prizes.${i}.stock`, message: "publish how many of this prize there are" });
    if (!(p.weight > 0)) problems.push({ field: `prizes.${i}.weight`, message: "publish this prize's odds (a positive weight)" });
    if (prizeHasValidity[i] === false) problems.push({ field: `prizes.${i}.productId`, message: "the prize's product has no validity: winners must know until when it can be redeemed" });
  });
  return problems;
}
