/** What the member card says about tiers: the line toward the next tier and how full its bar is. */
interface CardTiers {
  tier: unknown;
  nextTier: { name: string; growthNeeded: number; progressPercent: number } | null;
}

/**
 * No tier in force and none above it means the brand has set no tiers (a member without a tier always has one above
 * while any exists): there is no ladder, so no line and no bar — not 已是最高等级 at 0 成长值.
 */
export function tierProgressWords(m: CardTiers): { words: [string, string]; percent: number } | null {
  if (m.nextTier) {
    const { name, growthNeeded, progressPercent } = m.nextTier;
    return { words: [`距「${name}」还差 ${growthNeeded} 成长值`, `${growthNeeded} growth to ${name}`], percent: progressPercent };
  }
  return m.tier ? { words: ["已是最高等级", "Top tier reached"], percent: 100 } : null;
}
