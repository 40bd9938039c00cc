import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { z } from "zod";

import { ResolveTicketInput } from "../../schema/after-sale";
import { AlertSettings } from "../../schema/alerts";
import { CreateCampaignInput } from "../../schema/campaigns";
import { CreateBlockInput } from "../../schema/risk";
import { SettlementAgreementInput } from "../../schema/settlements";
import { SupplierInput } from "../../schema/suppliers";
import { CreateWebhookEndpointInput } from "../../schema/webhooks";
import { ApiError } from "../../worker/errors";
import { assertOutboundUrl } from "../../worker/services/outbound-url";

// Loaded by URL: these modules are typed against the DOM (site/tsconfig.json checks them), which this project's
// types must not take in (the worker's own Request/Response would clash).
const site = (path: string) => import(/* @vite-ignore */ new URL(`../../site/src/lib/${path}`, import.meta.url).href);
type Pair = readonly [string, string];
type Ctx = { sent?: unknown; fields?: Record<string, Pair>; codes?: Record<string, Pair> };
const { errorText, counterErrorText } = (await site("error-text.ts")) as {
  errorText: (e: unknown, fallback?: Pair, ctx?: Ctx) => string;
  counterErrorText: (e: unknown, fallback: Pair, ctx?: Ctx) => string;
};
const { findingText } = (await site("ledger-findings.ts")) as { findingText: (f: { seq: number; problem: string; detail?: string }) => string };
const { bilingual } = (await site("i18n.ts")) as { bilingual: (m: string) => string };

// The site's text helpers read the page's language from <html lang>; a stand-in document is enough here.
const page = (lang: string) => ((globalThis as { document?: unknown }).document = { documentElement: { lang } });
afterEach(() => delete (globalThis as { document?: unknown }).document);

describe("console and page error text", () => {
  it("names the refused words of a campaign's copy, for every copy rule, in the page's language", () => {
    const body = {
      code: "campaign_copy_refused",
      message: "The campaign's copy breaks advertising or promotion rules",
      issues: [
        { path: "json.name", code: "banned_phrase", message: '"第一" at 4 absolute claim: …全网最低价 第一 秒杀…' },
        { path: "json.rules", code: "promised_win", message: '"100%中奖" at 0 promises a win: …100%中奖！分享…' },
        { path: "json.rules", code: "share_gated", message: '"分享给3位好友后才能抽奖" at 7 makes sharing a condition: ……' },
      ],
    };
    page("zh-CN");
    expect(errorText(body).split("\n")).toEqual([
      "活动文案不合规：",
      "名称：含广告法禁用的绝对化用语“第一”",
      "活动规则：不得承诺必中：“100%中奖”",
      "活动规则：不得把分享、转发作为抽奖条件：“分享给3位好友后才能抽奖”",
    ]);
    page("en");
    expect(errorText(body).split("\n").slice(1)).toEqual([
      "Name: banned absolute claim “第一”",
      "Rules text: must not promise a win: “100%中奖”",
      "Rules text: must not make sharing a condition of the draw: “分享给3位好友后才能抽奖”",
    ]);
  });

  it("a refusal on a buyer's page is not worded about an API key (the console words it about its key)", () => {
    page("zh-CN");
    expect(errorText({ code: "forbidden", message: "userId must be the signed-in buyer" })).toBe("无权进行该操作");
    expect(errorText({ code: "forbidden", message: "x" }, undefined, { codes: { forbidden: ["此密钥无权进行该操作", "This key may not do that"] } })).toBe("此密钥无权进行该操作");
    const consoleApi = readFileSync(new URL("../../site/src/lib/console-api.ts", import.meta.url), "utf8");
    expect(consoleApi).toMatch(/forbidden: \["此密钥无权进行该操作"/);
  });

  it("a mall stock below what was exchanged, and a campaign product with banned words, read in the page's language", () => {
    page("zh-CN");
    const stock = { code: "stock_below_taken", message: "7 already exchanged; the stock cannot be set below 7", issues: [{ path: "json.stock", code: "stock_below_taken", message: "7 already exchanged" }] };
    expect(errorText(stock).split("\n")).toEqual(["库存不能少于已兑换的数量（想停止兑换，可把库存设为已兑数量或停用此项）", "库存：不能少于已兑换的数量"]);
    const copy = { code: "campaign_product_copy_refused", message: "…", issues: [{ path: "json.productId", code: "banned_phrase", message: "product prd_1 name: banned absolute claim “全网最低价” at 0: …全网最低价神券…" }] };
    expect(errorText(copy).split("\n")[1]).toContain("含广告法禁用的绝对化用语“全网最低价”");
    expect(errorText(copy).split("\n")[0]).toBe("活动中的商品文案含有广告法禁用的绝对化用语，请先修改商品：");
    page("en");
    expect(errorText(stock).split("\n")[1]).toBe("Stock: cannot be below what was already exchanged");
  });

  it("product checks quote with curly quotes and are named the same way", () => {
    page("zh-CN");
    const body = { code: "validation_failed", issues: [{ path: "description[3]", code: "banned_phrase", message: "banned absolute claim “最好” at 3: …史上最好的…" }] };
    expect(errorText(body).split("\n")[1]).toBe("说明：含广告法禁用的绝对化用语“最好”");
  });

  it("an API message in both languages shows the page's half", () => {
    page("zh-CN");
    expect(bilingual("未找到该券 / Voucher not found")).toBe("未找到该券");
    page("en");
    expect(bilingual("未找到该券 / Voucher not found")).toBe("Voucher not found");
    expect(bilingual("Only one language")).toBe("Only one language");
  });

  // What the API answers for a body the schema refuses, the way a route builds it.
  const refused = (schema: z.ZodType, body: unknown) => {
    const r = schema.safeParse(body);
    if (r.success) throw new Error("expected a refusal");
    return ApiError.fromZod(r.error, "json");
  };

  it("says why a campaign's end time and free draws are refused, not just 填写有误", () => {
    page("zh-CN");
    const lines = errorText(refused(CreateCampaignInput, {
      kind: "lottery", name: "抽奖", startsAt: "2026-12-05T10:00:00Z", endsAt: "2026-12-05T09:00:00Z", drawsPerDay: 0,
    })).split("\n");
    expect(lines).toContain("结束时间：须晚于开始时间");
    expect(lines).toContain("每日抽奖次数：至少 1 次（任务和分享只能额外增加次数）");
    expect(lines).toContain("奖品：必须填写");
    expect(lines.join("\n")).not.toContain("填写有误\n");
  });

  it("names the console's fields and states the bound in the field's own unit", () => {
    page("zh-CN");
    const alerts = { emails: ["not-an-email"], phones: ["123"], quietMinutes: -5 };
    expect(errorText(refused(AlertSettings, alerts), undefined, { sent: alerts }).split("\n")).toEqual([
      "填写有误，请检查", "邮箱“not-an-email”：格式不正确", "手机号“123”：格式不正确", "静默期：不能小于 1",
    ]);
    const supplier = { name: "badco", baseUrl: "https://x.example", credentials: { scheme: "kaquan_v1", secret: "x" }, products: [{ productId: "prd_1", sku: "S", costCents: -100 }] };
    expect(errorText(refused(SupplierInput, supplier)).split("\n").slice(1)).toEqual(["密钥：至少 8 个字符", "成本：不能小于 ¥0.00"]);
    const share = { productId: "prd_1", issuer: { kind: "tenant", tenantId: "tnt_2" }, share: { kind: "bps", bps: 300_000 }, effectiveFrom: "2026-12-01", effectiveTo: "2026-11-01" };
    expect(errorText(refused(SettlementAgreementInput, share)).split("\n").slice(1)).toEqual(["净收入百分比：不能大于 100%", "截止日：须晚于开始时间"]);
    expect(errorText(refused(CreateBlockInput, { kind: "ip", value: "10.0.0", reason: "测试" })).split("\n")[1]).toBe("内容：须为 IP 地址或网段，如 203.0.113.0/24");
    expect(errorText(refused(ResolveTicketInput, { action: "reject", note: "  " })).split("\n")[1]).toBe("给买家的说明：不能为空");
    page("en");
    expect(errorText(refused(AlertSettings, alerts), undefined, { sent: alerts }).split("\n").slice(1)).toEqual([
      "E-mail “not-an-email”: wrong format", "Mobile number “123”: wrong format", "Quiet period: must be at least 1",
    ]);
  });

  it("names a refused list value and lists what the field takes", () => {
    page("zh-CN");
    const hook = { url: "https://hooks.example/k", eventTypes: ["order_paid", "order_payed"] };
    const line = errorText(refused(CreateWebhookEndpointInput, hook), undefined, { sent: hook }).split("\n")[1]!;
    expect(line).toMatch(/^事件类型“order_payed”：取值不允许，可选：.*order_paid/);
  });

  it("says why an outbound URL is refused", () => {
    page("zh-CN");
    let body: unknown;
    try {
      assertOutboundUrl({ ENVIRONMENT: "production" } as Env, "http://example.com/hook", "json.url", "invalid_webhook_url", "Webhook URL");
    } catch (e) {
      body = e;
    }
    expect(errorText(body)).toBe("Webhook 地址不可用\n地址：须以 https:// 开头");
  });

  it("a known refusal does not ask to retry; an unknown code still does", () => {
    page("zh-CN");
    expect(errorText({ code: "over_refund", message: "At most 0 cents can still be refunded" })).toBe("退款金额超过可退金额，请刷新后查看可退金额");
    expect(errorText({ code: "before_agreements" })).not.toContain("稍后再试");
    expect(errorText({ code: "made_up_code", message: "x" })).toBe("操作失败，请稍后再试（made_up_code）");
    expect(errorText({ code: "over_refund" }, undefined, { codes: { over_refund: ["改写", "Rewritten"] } })).toBe("改写");
  });

  it("a product edit is refused a save, in the form's own labels", () => {
    page("zh-CN");
    const body = { code: "not_publishable", issues: [{ path: "description[3]", code: "banned_phrase", message: "banned absolute claim “最好” at 3: …" }] };
    const ctx = { fields: { description: ["商品描述", "Description"] as Pair }, codes: { not_publishable: ["暂不能保存：", "Cannot be saved as it stands:"] as Pair } };
    expect(errorText(body, undefined, ctx)).toBe("暂不能保存：\n商品描述：含广告法禁用的绝对化用语“最好”");
  });

  // Answered only to payment providers and suppliers (their callbacks), never to a page.
  const SERVER_TO_SERVER = new Set(["signature_missing", "signature_serial", "signature_expired", "signature_invalid", "signature_unsupported",
    "signature_unverifiable", "signature_wrong_app", "decrypt_failed", "wrong_merchant", "wrong_app", "wrong_seller", "unsupported_event", "unsupported_notice", "order_mismatch", "amount_mismatch", "replayed"]);

  it("every refusal code the worker sends to a page has its own text", () => {
    page("zh-CN");
    const files = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : f.endsWith(".ts") ? [join(d, f)] : []));
    const codes = new Set<string>();
    for (const f of files(new URL("../../worker", import.meta.url).pathname)) {
      const src = readFileSync(f, "utf8");
      for (const re of [/(?:badRequest|conflict)\(\s*"([a-z_]+)"/g, /new ApiError\(\s*\d+,\s*"([a-z_]+)"/g, /status: \d+, code: "([a-z_]+)"/g, /ok: false, code: "([a-z_]+)"/g]) {
        for (const m of src.matchAll(re)) codes.add(m[1]!);
      }
    }
    expect(codes.size).toBeGreaterThan(100);
    expect([...codes].filter((c) => !SERVER_TO_SERVER.has(c) && errorText({ code: c }).includes("操作失败"))).toEqual([]);
  });

  it("a counter refusal shows its specifics in local time; a validation failure by field, never 'Invalid json'", () => {
    page("zh-CN");
    const expired = { code: "voucher_expired", message: "该券已于 2026-12-04T00:00:00.000Z 过期 / Expired at 2026-12-04T00:00:00.000Z" };
    const local = new Date("2026-12-04T00:00:00.000Z").toLocaleString("zh-CN", { hour12: false });
    expect(counterErrorText(expired, ["核销失败", "Failed"])).toBe(`该券已于 ${local} 过期`);
    const huge = { code: "validation_failed", message: "Invalid json", issues: [{ path: "json.orderAmountCents", code: "too_big", message: "Too big: expected number to be <=100000000" }] };
    expect(counterErrorText(huge, ["核销失败", "Failed"])).toBe("填写有误，请检查\n消费金额：不能大于 ¥1000000.00");
    const blank = { code: "validation_failed", message: "Invalid json", issues: [{ path: "json.body", code: "too_small", message: "Too small: expected string to have >=1 characters" }] };
    expect(errorText(blank, undefined, { fields: { body: ["问题描述", "Description"] } })).toBe("填写有误，请检查\n问题描述：不能为空");
    const unsafe = { code: "validation_failed", message: "Invalid json", issues: [{ path: "json.body", code: "unsafe_characters", message: "must not contain control characters, bidirectional overrides or unpaired surrogates" }] };
    expect(errorText(unsafe, undefined, { fields: { body: ["问题描述", "Description"] } })).toBe("填写有误，请检查\n问题描述：含有不可见的控制字符或文字方向符，请删掉后再试");
  });

  it("ledger findings read the same on the console as on the public verify page", () => {
    page("zh-CN");
    expect(findingText({ seq: 76, problem: "edited" })).toBe("第 76 条记录：内容与其哈希不符（被改动）");
    expect(findingText({ seq: 78, problem: "deleted" })).toBe("第 78 条记录：之前的记录缺失");
    // A deletion names the entries that are gone, from the finding's detail (worker/domain/ledger.ts, services/ledger.ts).
    expect(findingText({ seq: 31, problem: "deleted", detail: "entries 29..30 are missing" })).toBe("第 29–30 条记录缺失");
    expect(findingText({ seq: 31, problem: "deleted", detail: "entries 30..30 are missing" })).toBe("第 30 条记录缺失");
    expect(findingText({ seq: 29, problem: "deleted", detail: "entry 29 of this voucher, written by the ledger object, is missing from its history" })).toBe("第 29 条记录：这张券的这条记录已被删除");
    page("en");
    expect(findingText({ seq: 5, problem: "checkpoint_mismatch" })).toBe("Entry 5: does not match the brand's checkpoint");
  });
});
