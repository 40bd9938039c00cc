import { afterEach, describe, expect, it } from "vitest";

// Loaded by URL: these modules are typed against the DOM (site/tsconfig.json checks them), which this project's
// types must not take in (the worker's own Request/Response would clash).
const site = (path: string) => import(/* @vite-ignore */ new URL(`../../site/src/lib/${path}`, import.meta.url).href);
const { errorText } = (await site("error-text.ts")) as { errorText: (e: unknown) => string };
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
});
