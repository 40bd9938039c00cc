/**
 * The WeChat Pay trade bill (交易账单, bill_type=ALL): a CSV whose every field starts with a backtick, amounts in yuan
 * with two decimals, China-time timestamps, then a summary header and line (总交易单数,…).
 */
import { parseCsv } from "../../domain/statement-csv";
import type { StatementLine } from "../provider";

export const TRADEBILL_HEADER = [
  "交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识", "交易类型", "交易状态", "付款银行", "货币种类",
  "应结订单总金额", "代金券金额", "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包", "手续费", "费率",
  "订单金额", "申请退款金额", "费率备注",
];
export const TRADEBILL_SUMMARY_HEADER = ["总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额"];

/** Cents → "12.30" (negative kept). */
export const yuan = (cents: number) => `${cents < 0 ? "-" : ""}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, "0")}`;

/** "12.30" / "-0.01" → cents, exact (no float). */
export function centsOf(text: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) throw new Error(`not an amount: ${text}`);
  const cents = Number(m[2]) * 100 + Number((m[3] ?? "0").padEnd(2, "0"));
  return m[1] ? -cents : cents;
}

/** "2026-11-30 12:34:56" China time → ISO instant. */
export const chinaTimeToIso = (t: string) => new Date(`${t.trim().replace(" ", "T")}+08:00`).toISOString();
export const isoToChinaTime = (iso: string) => new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 19).replace("T", " ");

const unquote = (field: string) => (field.startsWith("`") ? field.slice(1) : field);

/** Each booked charge is a SUCCESS line; each refund a REFUND line carrying the charge's ids and its own. */
export function parseTradeBill(text: string): StatementLine[] {
  const rows = parseCsv(text.replace(/^\uFEFF/, "")).filter((r) => r.some((f) => f.trim() !== ""));
  const header = rows[0]?.map((h) => h.trim());
  if (!header || header[0] !== "交易时间") throw new Error("not a WeChat Pay trade bill (no 交易时间 header)");
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`trade bill lacks column ${name}`);
    return i;
  };
  const at = col("交易时间"), txn = col("微信订单号"), out = col("商户订单号"), state = col("交易状态"), total = col("应结订单总金额");
  const refundId = col("微信退款单号"), outRefund = col("商户退款单号"), refundAmount = col("退款金额"), fee = col("手续费");
  const lines: StatementLine[] = [];
  for (const raw of rows.slice(1)) {
    if (raw[0]?.trim() === "总交易单数") break; // the summary follows
    const r = raw.map((f) => unquote(f.trim()));
    const when = chinaTimeToIso(r[at]!);
    if (r[state] === "REFUND") {
      lines.push({ kind: "refund", merchantRef: r[outRefund]!, gatewayRef: r[refundId]!, amountCents: centsOf(r[refundAmount]!), feeCents: Math.abs(centsOf(r[fee]!)), at: when });
    } else {
      lines.push({ kind: "payment", merchantRef: r[out]!, gatewayRef: r[txn]!, amountCents: centsOf(r[total]!), feeCents: centsOf(r[fee]!), at: when });
    }
  }
  return lines;
}

export interface BillEntry {
  at: string; appId: string; mchId: string; transactionId: string; outTradeNo: string; openid: string; state: "SUCCESS" | "REFUND";
  totalCents: number; refundId?: string; outRefundNo?: string; refundCents?: number; refundStatus?: string; description: string; attach: string; feeCents: number;
}

/** Writes the bill as WeChat does (the sandbox's bill download; test vectors). */
export function formatTradeBill(entries: BillEntry[]): string {
  const q = (v: string) => `\`${v}`;
  const lines = [TRADEBILL_HEADER.join(",")];
  let settled = 0, refunded = 0, fees = 0;
  for (const e of entries) {
    const refund = e.state === "REFUND";
    const fee = refund ? -e.feeCents : e.feeCents;
    if (!refund) settled += e.totalCents;
    refunded += e.refundCents ?? 0;
    fees += fee;
    lines.push([
      isoToChinaTime(e.at), e.appId, e.mchId, "0", "", e.transactionId, e.outTradeNo, e.openid, "MWEB", e.state, "OTHERS", "CNY",
      yuan(refund ? 0 : e.totalCents), "0.00", e.refundId ?? "0", e.outRefundNo ?? "0", yuan(e.refundCents ?? 0), "0.00", refund ? "ORIGINAL" : "", e.refundStatus ?? "",
      e.description.replaceAll(",", "，"), e.attach, yuan(fee), "0.60%", yuan(refund ? 0 : e.totalCents), yuan(e.refundCents ?? 0), "",
    ].map(q).join(","));
  }
  lines.push(TRADEBILL_SUMMARY_HEADER.join(","));
  lines.push([String(entries.length), yuan(settled), yuan(refunded), "0.00", yuan(fees), yuan(settled), yuan(refunded)].map(q).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
