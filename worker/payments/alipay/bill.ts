import type { StatementLine } from "../provider";
import { parseCsv, toCsv } from "../../domain/statement-csv";
import { parseChinaTime, yuanToCents } from "./amount";

/** The columns of Alipay's trade bill 业务明细 (bill_type trade), in order. */
export const BILL_COLUMNS = [
  "支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称", "操作员", "终端号", "对方账户",
  "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）", "商家优惠（元）", "券核销金额（元）", "券名称",
  "商家红包消费金额（元）", "卡消费金额（元）", "退款批次号/请求号", "服务费（元）", "分润（元）", "备注",
] as const;

const cell = (s: string | undefined) => (s ?? "").replace(/\t/g, "").trim(); // the real file pads cells with tabs (text in Excel)

/**
 * 业务明细 → StatementLine[]. Lines starting with # are titles and the summary (交易合计/退款合计); columns are found by
 * name. 交易 lines: merchantRef = 商户订单号 (our payment id), amount = 订单金额. 退款 lines: merchantRef = 退款批次号/请求号
 * (our refund id), amount = |商家实收|. Fee = |服务费|. gatewayRef = 支付宝交易号 (a refund's: 支付宝交易号:退款请求号, as
 * the adapter reports it); at = 完成时间 (China time).
 */
export function parseAlipayBill(text: string): StatementLine[] {
  const rows = parseCsv(text.replace(/^\uFEFF/, "").split(/\r?\n/).filter((l) => l.trim() && !l.trimStart().startsWith("#")).join("\n"));
  const headAt = rows.findIndex((r) => cell(r[0]) === "支付宝交易号");
  if (headAt < 0) throw new Error("not an Alipay 业务明细 bill: no 支付宝交易号 header");
  const col = new Map(rows[headAt]!.map((h, i) => [cell(h), i]));
  const need = (name: (typeof BILL_COLUMNS)[number]) => {
    const i = col.get(name);
    if (i === undefined) throw new Error(`Alipay bill lacks the column ${name}`);
    return i;
  };
  const [tradeNo, outTradeNo, kind, done, total, received, requestNo, fee] =
    (["支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额（元）", "商家实收（元）", "退款批次号/请求号", "服务费（元）"] as const).map(need);
  const lines: StatementLine[] = [];
  for (const r of rows.slice(headAt + 1)) {
    const type = cell(r[kind!]);
    if (type !== "交易" && type !== "退款") continue;
    const refund = type === "退款";
    const amount = yuanToCents(cell(refund ? r[received!] : r[total!]));
    const feeCents = yuanToCents(cell(r[fee!]) || "0");
    const at = parseChinaTime(cell(r[done!]));
    if (amount === null || feeCents === null || at === null) throw new Error(`Alipay bill line ${cell(r[tradeNo!])} is malformed`);
    lines.push({
      kind: refund ? "refund" : "payment", merchantRef: cell(refund ? r[requestNo!] : r[outTradeNo!]), gatewayRef: refund ? `${cell(r[tradeNo!])}:${cell(r[requestNo!])}` : cell(r[tradeNo!]),
      amountCents: Math.abs(amount), feeCents: Math.abs(feeCents), at: new Date(at).toISOString(),
    });
  }
  return lines;
}

export interface BillEntry {
  tradeNo: string;
  outTradeNo: string;
  kind: "交易" | "退款";
  subject: string;
  createdAt: string;
  finishedAt: string;
  buyer: string;
  totalYuan: string;
  receivedYuan: string;
  requestNo: string;
  feeYuan: string;
}

/** The 业务明细 text as Alipay writes it (titles, header, tab-padded cells, closing line and summary): the sandbox's bill. */
export function formatAlipayBill(account: string, day: string, entries: BillEntry[], exportedAt: string): string {
  const sum = (kind: string, f: (e: BillEntry) => string) => entries.filter((e) => e.kind === kind).reduce((n, e) => n + (yuanToCents(f(e)) ?? 0), 0);
  const yuan = (c: number) => (c / 100).toFixed(2);
  const trades = entries.filter((e) => e.kind === "交易");
  const refunds = entries.filter((e) => e.kind === "退款");
  const body = entries.map((e) => {
    const r: string[] = Array(BILL_COLUMNS.length).fill("");
    Object.assign(r, { 0: e.tradeNo, 1: e.outTradeNo, 2: e.kind, 3: e.subject, 4: e.createdAt, 5: e.finishedAt, 10: e.buyer, 11: e.totalYuan, 12: e.receivedYuan, 13: "0.00", 14: "0.00", 15: "0.00", 16: "0.00", 17: "0.00", 19: "0.00", 20: "0.00", 21: e.requestNo, 22: e.feeYuan, 23: "0.00" });
    return r.map((c) => `${c}\t`);
  });
  return [
    "#支付宝业务明细查询",
    `#账号：[${account}]`,
    `#起始日期：[${day.replace(/-/g, "")} 00:00:00]   终止日期：[${day.replace(/-/g, "")} 23:59:59]`,
    "#-----------------------------------------业务明细列表----------------------------------------",
    toCsv([[...BILL_COLUMNS], ...body], "machine").trimEnd(),
    "#-----------------------------------------业务明细列表结束------------------------------------",
    `#交易合计：${trades.length}笔，商家实收共${yuan(sum("交易", (e) => e.receivedYuan))}元，商家优惠共0.00元`,
    `#退款合计：${refunds.length}笔，商家实收退款共${yuan(sum("退款", (e) => e.receivedYuan))}元，商家优惠退款共0.00元`,
    `#导出时间：[${exportedAt}]`,
  ].join("\n") + "\n";
}
