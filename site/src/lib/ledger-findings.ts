/** Ledger tamper findings (worker/domain/ledger.ts) in people's words: the public verify page and the console's trust page. */
import { t } from "./i18n";

const PROBLEM: Record<string, readonly [zh: string, en: string]> = {
  edited: ["内容与其哈希不符（被改动）", "its content does not match its hash (edited)"],
  deleted: ["之前的记录缺失", "entries before it are missing"],
  reordered: ["顺序被调换", "entries were reordered"],
  broken_link: ["链接断开", "the chain is broken here"],
  foreign_tenant: ["不属于该品牌", "belongs to another brand"],
  checkpoint_mismatch: ["与品牌存证快照不符", "does not match the brand's checkpoint"],
  head_mismatch: ["与账本最新状态不符", "does not match the ledger's head"],
  truncated: ["账本记录被截断", "the ledger was cut short"],
  quarantined: ["账本对象未写入此记录，已隔离", "not written by the ledger object; set aside"],
};

/**
 * "第 76 条记录：内容与其哈希不符（被改动）"; an unknown problem shows its code. A deletion says which entries are
 * gone when the finding's detail names them: "第 29–30 条记录缺失" (a gap in the chain, reported at the entry after
 * it), "第 29 条记录：这张券的这条记录已被删除" (a step the ledger object wrote for the voucher, missing from D1).
 */
export function findingText(f: { seq: number; problem: string; detail?: string }): string {
  if (f.problem === "deleted") {
    const gap = /^entries (\d+)\.\.(\d+) are missing/.exec(f.detail ?? "");
    if (gap) {
      const range = gap[1] === gap[2] ? gap[1]! : `${gap[1]}–${gap[2]}`;
      return t(`第 ${range} 条记录缺失`, `${gap[1] === gap[2] ? "Entry" : "Entries"} ${range} missing`);
    }
    if (/^entry \d+ of this voucher/.test(f.detail ?? "")) {
      return `${t(`第 ${f.seq} 条记录`, `Entry ${f.seq}`)}${t("：", ": ")}${t("这张券的这条记录已被删除", "this voucher's entry was deleted")}`;
    }
  }
  const [zh, en] = PROBLEM[f.problem] ?? [f.problem, f.problem];
  return `${t(`第 ${f.seq} 条记录`, `Entry ${f.seq}`)}${t("：", ": ")}${t(zh, en)}`;
}

const KIND: Record<string, readonly [zh: string, en: string]> = {
  issuance: ["发放", "issued"], delivery: ["交付", "delivered"], redemption: ["核销", "redeemed"], void: ["作废", "voided"],
  refund: ["退款", "refunded"], expiry: ["过期", "expired"], compensation: ["补偿", "compensated"],
  redemption_reversal: ["撤销核销", "redemption undone"],
};
const FIELD: Record<string, readonly [zh: string, en: string]> = {
  faceValueCents: ["面值", "face value"], amountCents: ["金额", "amount"], voucherKind: ["类型", "kind"], orderId: ["订单", "order"],
  campaignId: ["活动", "campaign"], storeId: ["门店", "store"], reason: ["原因", "reason"], productId: ["商品", "product"],
  action: ["处理", "action"], refundId: ["退款单", "refund"],
};
/** Compensation actions in words (others show as stored). */
const ACTION: Record<string, readonly [zh: string, en: string]> = {
  money_refund: ["仅退款", "money-only refund"],
  refund_reversed: ["退款被支付渠道拒绝，权益已恢复", "refund refused by the gateway; the right is back"],
  money_refund_reversed: ["仅退款被支付渠道拒绝", "money-only refund refused by the gateway"],
};

/** A ledger entry's kind in words (schema/ledger.ts LEDGER_KINDS). */
export const ledgerKindText = (kind: string) => t(...(KIND[kind] ?? [kind, kind]));

/** A ledger entry's facts in words: empty ones left out, amounts in yuan, a voucher's kind by name. */
export function ledgerDetailText(payload: Record<string, unknown>, kindName: (k: string) => string): string {
  return Object.entries(payload)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => {
      const value = k.endsWith("Cents") && typeof v === "number" ? `¥${(v / 100).toFixed(2)}` : k === "voucherKind" ? kindName(String(v))
        : k === "action" && ACTION[String(v)] ? t(...ACTION[String(v)]!) : String(v);
      return `${t(...(FIELD[k] ?? [k, k]))} ${value}`;
    })
    .join(" · ");
}
