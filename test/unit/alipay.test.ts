import { describe, expect, it } from "vitest";
import { centsToYuan, chinaTimestamp, parseChinaTime, yuanToCents } from "../../worker/payments/alipay/amount";
import { deflateRawSync } from "node:zlib";
import { formatAlipayBill, parseAlipayBill } from "../../worker/payments/alipay/bill";
import { unpackBill } from "../../worker/payments/alipay/bill-zip";
import { generateRsa2KeyPair, importPrivateKey, importPublicKey, rawJsonMember, rsa2Sign, rsa2Verify, signingString } from "../../worker/payments/alipay/sign";

describe("alipay RSA2 signing string", () => {
  it("sorts by key, drops sign/sign_type and empty values, joins raw k=v with &", () => {
    // The async notify example of the Alipay open platform documentation (异步通知验签).
    const notify = {
      total_amount: "2.00", buyer_id: "2088102116773037", body: "大乐透2.1", trade_no: "2016071921001003030200089909", refund_fee: "0.00",
      notify_time: "2016-07-19 14:10:49", subject: "大乐透2.1", sign_type: "RSA2", charset: "utf-8", notify_type: "trade_status_sync",
      out_trade_no: "0719141034-6418", gmt_close: "2016-07-19 14:10:46", gmt_payment: "2016-07-19 14:10:47", trade_status: "TRADE_SUCCESS",
      version: "1.0", sign: "kPbQIjX+xQc8F0", gmt_create: "2016-07-19 14:10:44", app_id: "2015102700040153", seller_id: "2088102119685838",
      notify_id: "4a91b7a78a503640467525113fb7d8bg8e", passback_params: "",
    };
    expect(signingString(notify, ["sign", "sign_type"])).toBe(
      "app_id=2015102700040153&body=大乐透2.1&buyer_id=2088102116773037&charset=utf-8&gmt_close=2016-07-19 14:10:46&gmt_create=2016-07-19 14:10:44" +
        "&gmt_payment=2016-07-19 14:10:47&notify_id=4a91b7a78a503640467525113fb7d8bg8e&notify_time=2016-07-19 14:10:49&notify_type=trade_status_sync" +
        "&out_trade_no=0719141034-6418&refund_fee=0.00&seller_id=2088102119685838&subject=大乐透2.1&total_amount=2.00" +
        "&trade_no=2016071921001003030200089909&trade_status=TRADE_SUCCESS&version=1.0",
    );
    // A request signs sign_type too (only sign is left out).
    expect(signingString({ method: "alipay.trade.query", sign_type: "RSA2", sign: "x", app_id: "1", biz_content: '{"out_trade_no":"p1"}' }))
      .toBe('app_id=1&biz_content={"out_trade_no":"p1"}&method=alipay.trade.query&sign_type=RSA2');
  });

  it("signs with the app key and verifies with its public key; any change fails", async () => {
    const pair = await generateRsa2KeyPair();
    const content = signingString({ app_id: "2021000000000001", total_amount: "12.30", out_trade_no: "pay_1" });
    const sig = await rsa2Sign(await importPrivateKey(pair.privateKeyPem), content);
    const pub = await importPublicKey(pair.publicKeyPem);
    expect(await rsa2Verify(pub, content, sig)).toBe(true);
    expect(await rsa2Verify(pub, content.replace("12.30", "12.31"), sig)).toBe(false);
    expect(await rsa2Verify(pub, content, "bm90IGEgc2lnbmF0dXJl")).toBe(false);
    expect(await rsa2Verify(pub, content, "%%%")).toBe(false);
    const other = await generateRsa2KeyPair();
    expect(await rsa2Verify(await importPublicKey(other.publicKeyPem), content, sig)).toBe(false);
  });

  it("extracts the response member exactly as sent (spacing, escapes, nested braces)", () => {
    const text = '{"alipay_trade_query_response" : {"code":"10000","msg":"Success","subject":"a}\\"{b","x":{"y":1} },"sign":"abc"}';
    expect(rawJsonMember(text, "alipay_trade_query_response")).toBe('{"code":"10000","msg":"Success","subject":"a}\\"{b","x":{"y":1} }');
    expect(rawJsonMember(text, "error_response")).toBeNull();
  });
});

describe("alipay amounts and times", () => {
  it("converts yuan strings to cents exactly", () => {
    expect(yuanToCents("0.01")).toBe(1);
    expect(yuanToCents("19.9")).toBe(1990);
    expect(yuanToCents("1.15")).toBe(115); // 1.15 * 100 = 114.99999999999999 as a float
    expect(yuanToCents("4.35")).toBe(435);
    expect(yuanToCents("-5.00")).toBe(-500);
    expect(yuanToCents("100")).toBe(10000);
    for (const bad of ["", "1.234", "abc", "1e3", ".5"]) expect(yuanToCents(bad)).toBeNull();
    expect(centsToYuan(115)).toBe("1.15");
    expect(centsToYuan(1)).toBe("0.01");
    expect(centsToYuan(10000)).toBe("100.00");
  });

  it("writes and reads China time", () => {
    const ms = Date.parse("2026-11-30T16:30:05Z");
    expect(chinaTimestamp(ms)).toBe("2026-12-01 00:30:05");
    expect(parseChinaTime("2026-12-01 00:30:05")).toBe(ms);
    expect(parseChinaTime("2026-12-01")).toBeNull();
  });
});

describe("alipay 业务明细 bill", () => {
  it("parses trades and refunds, skipping titles and the summary", () => {
    const text = formatAlipayBill("2088000000000001", "2026-11-30", [
      { tradeNo: "2026113022001400001", outTradeNo: "pay_a", kind: "交易", subject: "视频月卡, 会员", createdAt: "2026-11-30 10:00:00", finishedAt: "2026-11-30 10:00:05", buyer: "2088102122524333", totalYuan: "19.90", receivedYuan: "19.90", requestNo: "", feeYuan: "-0.12" },
      { tradeNo: "2026113022001400002", outTradeNo: "pay_b", kind: "交易", subject: "话费", createdAt: "2026-11-30 11:00:00", finishedAt: "2026-11-30 11:00:02", buyer: "2088102122524334", totalYuan: "10.00", receivedYuan: "10.00", requestNo: "", feeYuan: "-0.06" },
      { tradeNo: "2026113022001400002", outTradeNo: "pay_b", kind: "退款", subject: "话费", createdAt: "2026-11-30 11:00:00", finishedAt: "2026-11-30 12:00:00", buyer: "2088102122524334", totalYuan: "10.00", receivedYuan: "-4.00", requestNo: "rf_1", feeYuan: "0.02" },
    ], "2026-12-01 09:00:00");
    expect(text.startsWith("#支付宝业务明细查询")).toBe(true);
    expect(text).toContain("#退款合计：1笔");
    expect(parseAlipayBill(text)).toEqual([
      { kind: "payment", merchantRef: "pay_a", gatewayRef: "2026113022001400001", amountCents: 1990, feeCents: 12, at: "2026-11-30T02:00:05.000Z" },
      { kind: "payment", merchantRef: "pay_b", gatewayRef: "2026113022001400002", amountCents: 1000, feeCents: 6, at: "2026-11-30T03:00:02.000Z" },
      { kind: "refund", merchantRef: "rf_1", gatewayRef: "2026113022001400002:rf_1", amountCents: 400, feeCents: 2, at: "2026-11-30T04:00:00.000Z" },
    ]);
  });

  it("refuses text that is not a bill", () => {
    expect(() => parseAlipayBill("gateway_ref,merchant_ref\n")).toThrow(/业务明细/);
  });
});

/** A zip as Alipay's bill download is: entries deflated; names flagged UTF-8 here (Alipay's are GBK, unflagged). */
function zipOf(files: [string, Uint8Array][]) {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of files) {
    const n = Buffer.from(name, "utf8");
    const data = deflateRawSync(content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0), local.writeUInt16LE(0x800, 6), local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18), local.writeUInt32LE(content.length, 22), local.writeUInt16LE(n.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0), cd.writeUInt16LE(0x800, 8), cd.writeUInt16LE(8, 10), cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(content.length, 24), cd.writeUInt16LE(n.length, 28), cd.writeUInt32LE(offset, 42);
    parts.push(local, n, data);
    central.push(cd, n);
    offset += 30 + n.length + data.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0), end.writeUInt16LE(files.length, 8), end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cdBuf.length, 12), end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, cdBuf, end]));
}

describe("alipay bill download", () => {
  it("takes the 业务明细 file out of the zip (not the 汇总) and passes plain text through", async () => {
    const ascii = (s: string) => new TextEncoder().encode(s);
    const zip = zipOf([["20889_20261130_业务明细(汇总).csv", ascii("summary")], ["20889_20261130_业务明细.csv", ascii("#detail\ntrade,1.00\n")]]);
    expect(await unpackBill(zip)).toBe("#detail\ntrade,1.00\n");
    expect(await unpackBill(ascii("#支付宝业务明细查询"))).toBe("#支付宝业务明细查询");
  });
});

describe("alipay async notify: the account's own app and seller", () => {
  it("refuses another app_id or (when the account names its PID) another seller_id, naming the signed payment", async () => {
    const { verifyAlipayNotify } = await import("../../worker/payments/alipay/notify");
    const gateway = await generateRsa2KeyPair();
    const now = Date.now();
    const notify = async (changes: Record<string, string>) => {
      const p: Record<string, string> = {
        notify_time: chinaTimestamp(now), notify_type: "trade_status_sync", notify_id: "n1", app_id: "2021000000000001", charset: "utf-8", version: "1.0",
        trade_no: "2026113022001400000001", out_trade_no: "pay_1", trade_status: "TRADE_SUCCESS", total_amount: "19.90", seller_id: "2088721000000001", ...changes,
      };
      p.sign = await rsa2Sign(await importPrivateKey(gateway.privateKeyPem), signingString(p, ["sign", "sign_type"]));
      p.sign_type = "RSA2";
      return new URLSearchParams(p).toString();
    };
    const keys = (sellerId?: string) => ({ appId: "2021000000000001", sellerId, gatewayUrl: "", appKey: Promise.reject(new Error("unused")), alipayKey: importPublicKey(gateway.publicKeyPem) });
    const pinned = keys("2088721000000001");
    pinned.appKey.catch(() => undefined);
    expect(await verifyAlipayNotify(pinned, await notify({}), now)).toMatchObject({ ok: true, notice: { paymentId: "pay_1", amountCents: 1990 } });
    expect(await verifyAlipayNotify(pinned, await notify({ seller_id: "2088000000000009" }), now)).toEqual({ ok: false, code: "wrong_seller", message: expect.any(String), paymentId: "pay_1" });
    expect(await verifyAlipayNotify(pinned, await notify({ seller_id: "" }), now)).toMatchObject({ ok: false, code: "wrong_seller" });
    expect(await verifyAlipayNotify(pinned, await notify({ app_id: "2021009999999999" }), now)).toMatchObject({ ok: false, code: "signature_wrong_app", paymentId: "pay_1" });
    // An account saved without its PID is not checked on the seller (the app_id still is).
    const open = keys();
    open.appKey.catch(() => undefined);
    expect(await verifyAlipayNotify(open, await notify({ seller_id: "2088000000000009" }), now)).toMatchObject({ ok: true });
  });
});
