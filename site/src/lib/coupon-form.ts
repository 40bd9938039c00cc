/**
 * The coupon part of the operator's product form (issue 19): kind (满减 / 折扣 / 一口价 / 首单 / 新人), online use,
 * scope, stacking, eligibility and budget — read into `config.coupon` (schema/catalog.ts CouponConfig).
 */
import { t } from "./i18n";

const KINDS: [string, string, string][] = [
  ["threshold", "满减", "Amount off (threshold)"], ["percent", "折扣", "Percent off"], ["fixed_price", "一口价", "Fixed price"],
  ["first_order", "首单立减", "First order"], ["new_member", "新人立减", "New member"],
];

const list = (v: FormDataEntryValue | null) => String(v ?? "").split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
const cents = (v: FormDataEntryValue | null) => Math.round(Number(v || 0) * 100);
const yuanOf = (c: number | undefined) => (c === undefined ? "" : (c / 100).toFixed(2));

function field(id: string, label: string, input: string) {
  return `<div><label for="${id}">${label}</label>${input}</div>`;
}

/** Fills `box` with the coupon inputs (names prefixed `c-`), set from an existing coupon when given. */
export function renderCouponFields(box: HTMLElement, prefix: string, c: any = {}) {
  const id = (n: string) => `${prefix}-c-${n}`;
  const num = (n: string, v: string, attrs = 'min="0" step="0.01"') => `<input id="${id(n)}" name="c-${n}" type="number" ${attrs} value="${v}" />`;
  const text = (n: string, v: string, ph = "") => `<input id="${id(n)}" name="c-${n}" value="${v.replace(/"/g, "&quot;")}" placeholder="${ph}" />`;
  const check = (n: string, on: boolean, label: string) => `<label class="check"><input id="${id(n)}" name="c-${n}" type="checkbox" ${on ? "checked" : ""} /> ${label}</label>`;
  const kind = c.kind ?? "threshold";
  box.innerHTML = `
    <div class="row">
      ${field(id("kind"), t("券类型", "Coupon kind"), `<select id="${id("kind")}" name="c-kind">${KINDS.map(([v, zh, en]) => `<option value="${v}" ${v === kind ? "selected" : ""}>${t(zh, en)}</option>`).join("")}</select>`)}
      ${field(id("threshold"), t("门槛（元，0 为无门槛）", "Threshold (yuan, 0 = none)"), num("threshold", yuanOf(c.thresholdCents ?? 0)))}
      ${field(id("discount"), t("减（元）", "Amount off (yuan)"), num("discount", yuanOf(c.discountCents ?? 500)))}
      ${field(id("percent"), t("折扣（% off，20 = 8 折）", "Percent off (20 = 20%)"), num("percent", String(c.percentOff ?? ""), 'min="1" max="99" step="1"'))}
      ${field(id("cap"), t("最多减（元）", "Cap (yuan)"), num("cap", yuanOf(c.capCents)))}
      ${field(id("fixed"), t("一口价（元）", "Fixed price (yuan)"), num("fixed", yuanOf(c.fixedPriceCents)))}
      ${field(id("newdays"), t("新人：注册天数内", "New member: joined within days"), num("newdays", String(c.newMemberDays ?? 7), 'min="1" max="365" step="1"'))}
    </div>
    ${check("online", c.online ?? true, t("可在商城下单时使用（线上券）", "Usable at shop checkout (online)"))}
    <div class="row">
      ${field(id("scope-tags"), t("适用标签（逗号分隔）", "Scope: tags (comma separated)"), text("scope-tags", (c.scope?.tags ?? []).join(","), "video,music"))}
      ${field(id("scope-kinds"), t("适用类型", "Scope: kinds"), text("scope-kinds", (c.scope?.kinds ?? []).join(","), "card_key,direct_recharge"))}
      ${field(id("scope-products"), t("适用商品 ID", "Scope: product ids"), text("scope-products", (c.scope?.productIds ?? []).join(",")))}
    </div>
    <div class="row">
      ${field(id("group"), t("叠加组", "Stack group"), text("group", c.stacking?.group ?? "default"))}
      <div>${check("exclusive", c.stacking?.exclusive ?? false, t("独享（不与其他券同用）", "Exclusive (never combined)"))}</div>
    </div>
    <div class="row">
      ${field(id("tiers"), t("限会员等级 ID", "Only tiers (ids)"), text("tiers", (c.eligibility?.tierIds ?? []).join(",")))}
      ${field(id("segments"), t("限人群 ID", "Only segments (ids)"), text("segments", (c.eligibility?.segmentIds ?? []).join(",")))}
      ${field(id("cities"), t("限城市", "Only cities"), text("cities", (c.eligibility?.cities ?? []).join(",")))}
      <div>${check("birthday", c.eligibility?.birthdayMonth ?? false, t("仅生日当月", "Birthday month only"))}</div>
    </div>
    <div class="row">
      ${field(id("max-count"), t("预算：最多发放张数", "Budget: at most issued"), num("max-count", String(c.budget?.maxCount ?? ""), 'min="1" step="1"'))}
      ${field(id("max-cents"), t("预算：最多优惠金额（元）", "Budget: at most discount (yuan)"), num("max-cents", yuanOf(c.budget?.maxCents)))}
    </div>
    <p class="hint">${t("叠加规则：每类（一口价 / 满减·首单·新人 / 折扣）最多一张，同一叠加组内才可叠加，独享券单独使用；顺序为一口价 → 满减 → 折扣（封顶），不会低于 0。", "Stacking: at most one per class (fixed price / amount off / percent), only within one stack group, exclusive alone; fixed price → amount → percent (capped), never below 0.")}</p>`;
}

/** config.coupon from the form's c-* fields (the API checks it and names any wrong field). */
export function readCouponFields(f: FormData) {
  const kind = String(f.get("c-kind") ?? "threshold");
  const opt = <T,>(v: T, keep: boolean) => (keep ? v : undefined);
  const maxCount = Number(f.get("c-max-count") || 0);
  const maxCents = cents(f.get("c-max-cents"));
  return {
    kind,
    thresholdCents: cents(f.get("c-threshold")),
    discountCents: ["percent", "fixed_price"].includes(kind) ? 0 : cents(f.get("c-discount")),
    percentOff: opt(Number(f.get("c-percent")), kind === "percent"),
    capCents: opt(cents(f.get("c-cap")), kind === "percent" && cents(f.get("c-cap")) > 0),
    fixedPriceCents: opt(cents(f.get("c-fixed")), kind === "fixed_price"),
    newMemberDays: Number(f.get("c-newdays") || 7),
    online: f.get("c-online") === "on",
    scope: { tags: list(f.get("c-scope-tags")), kinds: list(f.get("c-scope-kinds")), productIds: list(f.get("c-scope-products")) },
    stacking: { exclusive: f.get("c-exclusive") === "on", group: String(f.get("c-group") || "default").trim() || "default" },
    eligibility: { tierIds: list(f.get("c-tiers")), segmentIds: list(f.get("c-segments")), cities: list(f.get("c-cities")), birthdayMonth: f.get("c-birthday") === "on" },
    budget: { ...(maxCount > 0 ? { maxCount } : {}), ...(maxCents > 0 ? { maxCents } : {}) },
  };
}

export const tagsOf = (v: FormDataEntryValue | null) => list(v);

/** "已发放 3 / 100 · 已优惠 ¥12.00 / ¥500.00" for the edit form. */
export function budgetText(b: { maxCount: number | null; maxCents: number | null; issuedCount: number; appliedCount: number; appliedCents: number; exhaustedAt: string | null }) {
  const y = (c: number) => `¥${(c / 100).toFixed(2)}`;
  const count = `${b.issuedCount} / ${b.maxCount ?? "∞"}`;
  const money = `${y(b.appliedCents)} / ${b.maxCents === null ? "∞" : y(b.maxCents)}`;
  const spent = b.exhaustedAt ? t("（预算已用完）", " (budget spent)") : "";
  return t(`已发放 ${count} · 已用于下单 ${b.appliedCount} 张，优惠 ${money}${spent}`, `Issued ${count} · used at checkout ${b.appliedCount}, discount ${money}${spent}`);
}
