/**
 * API errors in the page's language. The API answers stable `code`s (and issue paths/codes) with an English
 * message for developers; pages show text from these tables instead, so the Chinese UI never shows English.
 * An unknown code falls back to a generic sentence in Chinese (with the code) and to the API's message in English.
 */
import { t } from "./i18n";

type Pair = readonly [zh: string, en: string];

const CODES: Record<string, Pair> = {
  validation_failed: ["填写有误，请检查", "Please check the input"],
  invalid_body: ["请求格式不正确", "The request is malformed"],
  unauthorized: ["密钥无效或已失效，请重新输入", "The key is missing or invalid"],
  forbidden: ["此密钥无权进行该操作", "This key may not do that"],
  not_found: ["未找到", "Not found"],
  rate_limited: ["操作太频繁，请稍后再试", "Too many requests, try again later"],
  internal: ["服务出错，请稍后再试", "Something went wrong, try again later"],
  otp_invalid: ["验证码错误或已过期，请重新获取", "The code is wrong or has expired; request a new one"],
  consent_outdated: ["个人信息处理规则已更新，请刷新页面后重新阅读并同意", "The personal information rules changed; reload the page and agree again"],
  erasure_in_progress: ["该账号正在注销中，请几分钟后再登录", "This account is being erased; sign in again in a few minutes"],
  sold_out: ["已售罄", "Sold out"],
  voucher_redeemed: ["该订单已有权益被核销，不能整单退款", "A right of this order was already redeemed, so it cannot be refunded in full"],
  invalid_coupon: ["不是您持有的可用优惠券", "Not a usable coupon you hold"],
  coupon_not_applicable: ["所选优惠券不能用于此订单", "The chosen coupons cannot be used on this order"],
  coupon_unavailable: ["优惠券已被使用或已过期，请重新选择", "A coupon was used or expired; choose again"],
  coupon_budget_exhausted: ["优惠券活动预算已用完", "This coupon's budget is spent"],
  not_eligible: ["不满足参与或使用条件", "Not eligible"],
  purchase_limit: ["超过限购数量", "Purchase limit reached"],
  recharge_account_required: ["请填写充值账号", "Enter the account to recharge"],
  invalid_recharge_account: ["充值账号格式不正确", "The account is not in the expected format"],
  idempotency_key_reused: ["请重新提交", "Please submit again"],
  idempotency_mismatch: ["请重新提交", "Please submit again"],
  not_publishable: ["暂不能上架：", "Cannot be published yet:"],
  coupon_config_required: ["优惠券需要填写门槛和优惠金额", "A coupon needs a threshold and a discount"],
  bundle_items_required: ["组合商品需要至少两个子商品", "A bundle needs its items"],
  bundle_item_invalid: ["组合中的商品不属于本品牌", "A bundle item is not a product of this brand"],
  not_card_key_product: ["只有卡密商品可以导入卡密", "Only card-key products take imported keys"],
  unknown_product: ["活动中的商品不属于本品牌", "The campaign names products this brand does not have"],
  starts_in_past: ["开始时间须晚于现在", "The start time must be in the future"],
  campaign_copy_refused: ["活动文案不合规：", "The campaign copy breaks promotion rules:"],
  prize_above_legal_cap: ["单个奖品价值不得超过 5 万元", "A prize may be worth at most 50,000 yuan"],
  lottery_disclosure_missing: ["抽奖须公示主办方、奖品数量、中奖概率与奖品有效期：", "A lottery must publish its organiser, prize stock, odds and prize validity:"],
  campaign_started: ["活动已开始，只能修改名称和说明", "A started campaign can only change its name and description"],
  campaign_paused: ["活动已暂停，请稍后再来", "The campaign is paused; try again later"],
  campaign_ended: ["活动已结束", "The campaign has ended"],
  preview_only: ["这是预览，活动开始后才能参与", "This is a preview; you can take part once the campaign starts"],
  preview_expired: ["预览链接无效或已过期，请在后台重新打开", "The preview link is invalid or has expired"],
  warehouse_unavailable: ["数据仓库暂不可用，请稍后再试", "The warehouse is unavailable, try again later"],
  store_required: ["请选择门店", "Choose a store"],
  key_suspended: ["此核销密钥已被暂停", "This redeemer key is suspended"],
  origin_not_allowed: ["此页面未获品牌授权", "This page is not allowed by the brand"],
  slug_taken: ["该标识已被使用", "This slug is taken"],
  image_too_large: ["图片不能超过 5 MB", "An image may be at most 5 MB"],
  unsupported_image: ["只支持 PNG、JPEG 或 WebP 图片", "Only PNG, JPEG or WebP images"],
  image_empty: ["图片文件是空的", "The image file is empty"],
};

const FIELDS: Record<string, Pair> = {
  phone: ["手机号", "Phone"], code: ["验证码", "Code"], name: ["名称", "Name"], subtitle: ["副标题", "Subtitle"],
  description: ["说明", "Description"], scope: ["适用范围", "Scope"], usageRules: ["使用规则", "Rules"], tutorial: ["兑换教程", "Tutorial"],
  validity: ["有效期", "Validity"], validTo: ["有效期截止", "Valid to"], priceCents: ["售价", "Price"], faceValueCents: ["面值", "Face value"],
  rechargeAccount: ["充值账号", "Account"], perUserLimit: ["每人限购", "Per-user limit"], stock: ["库存", "Stock"],
  startsAt: ["开始时间", "Starts at"], endsAt: ["结束时间", "Ends at"], prizes: ["奖品", "Prizes"], weight: ["权重", "Weight"],
  noPrizeWeight: ["未中奖权重", "No-prize weight"], productId: ["商品", "Product"], shards: ["分片数", "Shards"],
  drawsPerDay: ["每日抽奖次数", "Draws per day"], "organiser.name": ["主办方", "Organiser"], "organiser.contact": ["主办方联系方式", "Organiser contact"],
  rules: ["活动规则", "Rules text"], title: ["标题", "Title"], from: ["开始日期", "From"], to: ["结束日期", "To"],
};

const ISSUES: Record<string, Pair> = {
  missing_validity: ["上架需填写有效期", "a validity is required to publish"],
  missing_scope: ["上架需填写适用范围", "the scope is required to publish"],
  invalid_window: ["结束时间须晚于开始时间", "must end after it starts"],
  too_small: ["太短或太小", "too short or too small"],
  too_big: ["太长或太大", "too long or too large"],
  invalid_format: ["格式不正确", "wrong format"],
  invalid_string: ["格式不正确", "wrong format"],
  invalid_type: ["缺少或类型不对", "missing or of the wrong type"],
  invalid_value: ["取值不允许", "not an allowed value"],
  invalid_recharge_account: ["格式不正确", "wrong format"],
  unrecognized_keys: ["含不认识的字段", "has unknown fields"],
  lottery_disclosure_missing: ["必须填写", "required"],
};

export interface ApiErrorBody {
  code?: string;
  message?: string;
  issues?: { path: string; message: string; code?: string }[];
}

function fieldName(path: string): string {
  const parts = path.split(".").map((p) => p.replace(/\[\d+\]$/, "")).filter((p) => p && !/^\d+$/.test(p) && !["json", "body", "query", "param"].includes(p));
  const last = parts.at(-1) ?? "";
  const pair = FIELDS[parts.slice(-2).join(".")] ?? FIELDS[last];
  return pair ? t(pair[0], pair[1]) : last;
}

/** Copy findings name the refused words in quotes (“…” from product checks, "…" from campaign checks). */
const COPY_RULES: Record<string, (phrase: string) => Pair> = {
  banned_phrase: (p) => [`含广告法禁用的绝对化用语“${p}”`, `banned absolute claim “${p}”`],
  promised_win: (p) => [`不得承诺必中：“${p}”`, `must not promise a win: “${p}”`],
  share_gated: (p) => [`不得把分享、转发作为抽奖条件：“${p}”`, `must not make sharing a condition of the draw: “${p}”`],
};

function issueText(i: { path: string; message: string; code?: string }): string {
  const field = fieldName(i.path);
  const prefix = field ? t(`${field}：`, `${field}: `) : "";
  const rule = i.code ? COPY_RULES[i.code] : undefined;
  if (rule) {
    const phrase = /[“"](.+?)[”"]/.exec(i.message)?.[1] ?? "";
    const [zh, en] = rule(phrase);
    return prefix + t(zh, en);
  }
  const pair = i.code ? ISSUES[i.code] : undefined;
  return prefix + (pair ? t(pair[0], pair[1]) : t("填写有误", i.message));
}

/** One line per problem, in the page's language. */
export function errorText(e: ApiErrorBody | null | undefined, fallback: Pair = ["操作失败，请稍后再试", "Failed, try again later"]): string {
  if (!e?.code) return t(fallback[0], fallback[1]);
  const pair = CODES[e.code];
  const head = pair ? t(pair[0], pair[1]) : t(`${fallback[0]}（${e.code}）`, e.message ?? fallback[1]);
  return [head, ...(e.issues ?? []).map(issueText)].join("\n");
}
