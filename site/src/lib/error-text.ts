/**
 * API errors in the page's language. The API answers stable `code`s (and issue paths/codes) with an English
 * message for developers; pages show text from these tables instead, so the Chinese UI never shows English.
 * An unknown code falls back to a generic sentence in Chinese (with the code) and to the API's message in English.
 */
import { bilingual, t } from "./i18n";
import { REJECT } from "./reject-text";

type Pair = readonly [zh: string, en: string];

const CODES: Record<string, Pair> = {
  validation_failed: ["填写有误，请检查", "Please check the input"],
  invalid_body: ["请求格式不正确", "The request is malformed"],
  unauthorized: ["密钥无效或已失效，请重新输入", "The key is missing or invalid"],
  key_required: ["请先在上方输入 API 密钥（npm start 会打印演示密钥）", "Enter an API key above first (npm start prints the demo keys)"],
  forbidden: ["无权进行该操作", "This is not allowed here"],
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
  purchase_limit: ["已达到该商品的每人限购数量（含商城兑换）", "You have reached this product's per-person limit (exchanges included)"],
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
  validity_ended: ["该商品有效期已过，已停止销售", "This product's validity has ended; it is no longer sold"],
  supplier_unknown_product: ["对应的商品不存在，未保存", "A mapped product does not exist; nothing was saved"],
  starts_in_past: ["开始时间须晚于现在", "The start time must be in the future"],
  ledger_mismatch: ["存证记录与账本不一致，未发布快照；请运行存证校验查看被改动的记录", "The ledger rows disagree with the ledger; no checkpoint was published. Run the verifier to find the changed rows"],
  product_archived: ["活动中的商品已下架（已归档）：请先重新上架，或换一个商品", "A product of the campaign was withdrawn (archived): publish it again or pick another"],
  campaign_product_copy_refused: ["活动中的商品文案含有广告法禁用的绝对化用语，请先修改商品：", "A product of the campaign has copy the advertising rules refuse; change the product first:"],
  campaign_product_incomplete: ["活动中的商品缺少有效期或使用范围，请先在商品中填写：", "A product of the campaign has no validity or scope of use; set them on the product first:"],
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
  invalid_image: ["图片无法读取或尺寸不符", "The image cannot be read or has the wrong size"],
  unsupported_width: ["不支持的图片宽度", "Unsupported image width"],
  // Orders, refunds and after-sale
  over_refund: ["退款金额超过可退金额，请刷新后查看可退金额", "The amount is more than is left to refund; reload to see what is left"],
  units_unavailable: ["收回权益数超过该订单未核销的权益数", "More rights than the order has unredeemed"],
  nothing_refundable: ["该订单已没有可退金额", "Nothing is left to refund on this order"],
  balance_refund_whole: ["该订单由储值余额支付，只能整单退回会员余额：金额请留空", "This order was paid from the stored-value balance: it is refunded whole, back to the balance (leave the amount empty)"],
  order_not_refundable: ["该订单当前状态不能退款", "This order cannot be refunded in its status"],
  supplier_pending: ["上游供应商仍在处理该充值，请等待结果后再退款（充值失败会自动退款）", "The supplier is still working on this recharge: wait for its outcome before refunding (a failure is refunded automatically)"],
  supplier_recently_placed: ["供应商受理不到 10 分钟，请先等待其结果", "The supplier got this recharge less than 10 minutes ago: wait for its answer first"],
  not_waiting_on_supplier: ["该订单已没有在等待的供应商（可能刚刚有了结果），请刷新", "No supplier is working on this order now (it may just have answered): reload"],
  supplier_cannot_cancel: ["供应商正在充值，无法撤单，请稍后再试（订单未做任何改动；供应商已通过电话或工单确认撤单时，可勾选确认后再试）", "The supplier is recharging it now and cannot cancel it: nothing changed; try again later (or tick the box if the supplier confirmed the cancel another way)"],
  supplier_cancel_unanswered: ["供应商未确认撤单，请稍后再试（订单未做任何改动；供应商已通过电话或工单确认撤单时，可勾选确认后再试）", "The supplier did not confirm the cancel: nothing changed; try again later (or tick the box if the supplier confirmed the cancel another way)"],
  refund_failed: ["支付渠道拒绝了退款，未退任何款项，请稍后再试", "The payment provider refused the refund; nothing was refunded"],
  refund_in_progress: ["该订单正在退款中，请稍后刷新查看", "Another refund of this order is being made; reload in a moment"],
  right_not_replaceable: ["只能补发未使用的权益：该权益已被替换、退款或使用，请选择未使用的一张，或改为退款、补偿、驳回", "Only an unused right is replaced; pick an unused one, or refund, compensate or reject instead"],
  order_not_eligible: ["该订单当前状态还不能申请售后", "This order has nothing to service yet"],
  order_not_cancellable: ["该订单当前状态不能取消", "This order cannot be cancelled in its status"],
  ticket_open: ["该订单已有处理中的售后申请，请在原申请中补充", "This order already has an open ticket; reply to it instead"],
  ticket_closed: ["该工单已处理完毕", "This ticket is already closed"],
  voucher_not_in_order: ["所选权益不属于该订单", "That right is not part of this order"],
  ticket_reason_not_applicable: ["所选问题与所购商品不符，请重新选择", "That problem does not fit what was bought; choose another"],
  not_replaceable: ["只有卡密和优惠券可以补发，请改为退款或补偿", "Only card keys and coupons can be replaced; refund or compensate instead"],
  voucher_not_voidable: ["该券当前状态不能作废", "This voucher cannot be voided in its status"],
  voucher_not_reportable: ["该券当前状态不能报告问题", "This voucher cannot be reported in its status"],
  voucher_report_not_applicable: ["直充请在订单页申请售后（未到账、充错账号）", "For a direct recharge, ask for after-sale service on its order page"],
  too_many_unpaid: ["你有该商品的未支付订单，请先支付或取消", "You hold unpaid orders of this product; pay or cancel them first"],
  order_changed: ["订单已变化，请重试", "The order changed meanwhile; try again"],
  order_pending: ["订单还在处理中，请稍后刷新", "The order is not ready yet; retry shortly"],
  not_payable: ["该订单当前状态不能支付", "This order cannot be paid in its status"],
  already_paid: ["该笔支付已处理", "This payment is already settled"],
  callback_refused: ["商户拒绝了支付回调", "The merchant refused the payment callback"],
  body_too_large: ["提交的内容过大，请精简后重试", "What was sent is too large; send less and try again"],
  paid_elsewhere: ["该订单已用其他方式付款，正在确认中，请勿重复支付", "This order was already paid another way; do not pay again"],
  order_paid: ["该订单已付款，正在发货，不能取消，也无需重复支付", "This order is paid and being delivered: it cannot be cancelled, nor needs paying again"],
  charge_closed: ["该笔支付已关闭，请重新下单", "This charge was closed; order again"],
  payment_already_settled: ["该笔支付已由另一笔交易处理", "This payment was already settled by another transaction"],
  gateway_unavailable: ["支付渠道暂时无法连接，请稍后再试", "The payment provider could not be reached; try again later"],
  gateway_unreachable: ["暂时无法向支付渠道确认付款，请稍后再试", "The payment could not be confirmed yet; try again later"],
  gateway_unconfirmed: ["支付渠道未确认该笔付款", "The payment provider does not confirm this payment"],
  bundle_invalid: ["组合中有商品已不可售", "An item of the bundle is not on sale"],
  // Redemption and stored value (the merchant page)
  voucher_not_found: ["未找到该券", "Voucher not found"],
  voucher_expired: ["该券已过期", "The voucher has expired"],
  voucher_not_yet_valid: ["该券尚未到使用时间", "The voucher is not valid yet"],
  voucher_voided: ["该券已作废", "The voucher was voided"],
  voucher_refunded: ["该券已退款", "The voucher was refunded"],
  voucher_already_redeemed: ["该券已被核销", "The voucher was already redeemed"],
  voucher_not_redeemable: ["直充权益已到账，无需核销", "A direct recharge is not redeemed at a store"],
  voucher_unavailable: ["该券当前不可核销", "The voucher cannot be redeemed now"],
  store_not_allowed: ["该券不适用于本门店", "Not valid at this store"],
  order_amount_required: ["满减券需填写消费金额", "Enter the purchase amount for this coupon"],
  threshold_not_met: ["消费金额未达到使用门槛", "The purchase is below the coupon's threshold"],
  // 撤销核销
  reversal_window_closed: ["已超过撤销时限（核销后 24 小时内可撤销）", "Too late: a redemption can be undone within 24 hours"],
  already_reversed: ["这次核销已撤销", "This redemption was already undone"],
  redemption_not_reversible: ["这次核销不能撤销（券状态已变化），请刷新", "This redemption cannot be undone (the voucher changed); refresh"],
  redemption_not_found: ["未找到这次核销", "Redemption not found"],
  member_code_expired: ["付款码已过期，请会员刷新", "The member's code expired: ask them to refresh it"],
  member_code_invalid: ["不是有效的会员付款码", "Not a valid member pay code"],
  insufficient_balance: ["余额不足", "Balance too low"],
  card_number_unavailable: ["暂时无法分配卡号，请重试", "Could not allot a card number; try again"],
  // Members, points, tiers
  not_a_member: ["请先加入品牌会员", "Join the brand's membership first"],
  members_only: ["该商品仅限会员购买", "This product is for members"],
  member_tokens_disabled: ["品牌尚未开通会员令牌", "This brand has not set up member tokens"],
  member_token_invalid: ["会员身份无效，请从品牌的应用或网站重新打开", "The member token is invalid; open this again from the brand's app or site"],
  member_token_expired: ["会员身份已过期，请从品牌的应用或网站重新打开", "The member token expired; open this again from the brand's app or site"],
  member_token_audience: ["会员身份不属于本品牌", "The member token is for another brand"],
  consent_required: ["请先同意接收营销信息", "Allow marketing messages first"],
  insufficient_points: ["积分不足", "Not enough points"],
  invalid_mall_item: ["积分商城商品须先发布对应商品", "The mall item's product must be published first"],
  stock_below_taken: ["库存不能少于已兑换的数量（想停止兑换，可把库存设为已兑数量或停用此项）", "The stock cannot be below what members already exchanged (to stop exchanges, set it to that number or switch the item off)"],
  product_unavailable: ["该商品已下架，暂不可兑换", "This product is not on sale; it cannot be exchanged"],
  already_checked_in: ["今天已签到", "Already checked in today"],
  task_not_completed: ["任务尚未完成", "The task is not completed yet"],
  task_already_rewarded: ["该任务的奖励已领取", "This task's reward was already given"],
  task_gates_lottery: ["任务不能与抽奖挂钩", "A task may not be tied to a lottery"],
  invalid_reward_product: ["奖励商品不可用", "The reward product cannot be used"],
  rank_taken: ["已有等级使用该排序", "Another tier already has this rank"],
  tier_in_use: ["仍有会员持有该等级（或有付费卡授予该等级），不能删除", "Members hold this tier (or a paid card grants it)"],
  unknown_tier: ["没有这个会员等级", "No such member tier"],
  invalid_stored_value: ["储值设置不正确", "The stored-value setting is not valid"],
  // Growth: groups, assists, invites, segments, issuances
  team_full: ["该团已满", "This team is full"],
  team_ended: ["该团已结束", "This team has ended"],
  group_buy_inactive: ["拼团活动未开始或已结束", "This group buy is not running now"],
  invalid_group_buy: ["拼团设置不正确", "The group buy is not valid"],
  assist_not_active: ["助力活动未开始或已结束", "This assist is not running now"],
  assist_expired: ["助力已结束（超过时限），本次助力未计入", "This request's time is up; your help was not counted"],
  assist_already_helped: ["你已在本活动助力过，每人限一次", "You already helped in this activity (once per person)"],
  assist_device_used: ["该设备已在本活动助力过", "This device already helped in this activity"],
  assist_self_help: ["不能为自己助力", "You cannot help your own request"],
  assist_goal_reached: ["好友已集满助力，无需再助力", "Your friend already has all the helps"],
  assist_phone_required: ["请先用手机号登录（我的卡券页）再助力", "Sign in with your phone (My vouchers) to help"],
  assist_device_required: ["无法识别设备，请刷新页面后重试", "This device could not be identified; reload the page"],
  invalid_token: ["链接无效或已过期", "This link is not valid"],
  no_invite_code: ["请先在会员中心领取你的邀请链接", "Get your invite code in the member centre first"],
  no_invite_programme: ["该品牌当前没有邀请活动", "No invite programme is running"],
  segment_archived: ["该人群已归档，不再计算", "An archived segment is not computed"],
  segment_not_computed: ["该人群尚未计算出成员", "The segment has no computed members yet"],
  not_a_rules_segment: ["上传的人群没有规则，请重新上传文件", "An uploaded segment has no rules; upload a new file instead"],
  not_an_upload_segment: ["只有上传的人群可以导入文件", "Only an uploaded segment takes a file"],
  unknown_segment: ["没有这个人群", "No such segment"],
  invalid_segment: ["本品牌没有这个人群", "No such segment in this brand"],
  invalid_coupon_product: ["请选择本品牌的优惠券商品", "Choose a coupon product of this brand"],
  unknown_member: ["本品牌没有这个会员", "No such member in this brand"],
  order_lapsed: ["订单未按时支付，名额已释放", "The order was not paid in time; its unit went back on sale"],
  order_cancelled: ["订单已取消，名额已释放", "The order was cancelled; its unit went back on sale"],
  too_many_rows: ["文件行数超过上限", "The file has too many rows"],
  coupon_required: ["开启召回需要选择优惠券", "Win-back needs a coupon"],
  claim_unfulfillable: ["奖品无法生成订单（如商品已售完）", "This win could not become an order (e.g. the product ran out)"],
  not_a_lottery: ["只有抽奖活动有抽奖记录", "Only lotteries have a draw log"],
  not_ended: ["活动结束后才公布种子和抽奖记录", "The seed and draw log are published after the campaign ends"],
  prize_without_product: ["每个奖品都要选择发放的商品", "Every prize must name the product it delivers"],
  // Risk, trust, webhooks, suppliers, settlement, reconciliation
  complaint_closed: ["该投诉已处理", "This complaint was already resolved"],
  right_not_compensable: ["该权益已被替换、退款或使用，无需再补偿，请驳回该投诉", "This right was already replaced, refunded or used; reject the complaint"],
  already_resolved: ["该项已处理", "This item is already resolved"],
  invalid_webhook_url: ["Webhook 地址不可用", "The webhook URL is refused"],
  invalid_supplier_url: ["供应商接口地址不可用", "The supplier URL is refused"],
  invalid_gateway_url: ["支付网关地址不可用", "The gateway URL is refused"],
  invalid_key: ["密钥格式不正确", "The key is not valid"],
  endpoint_disabled: ["请先启用该端点再重发", "Enable the endpoint before replaying to it"],
  invalid_issuer: ["发行方不正确", "The issuer is not valid"],
  agreement_overlap: ["该商品在这段日期内已有分账协议", "Another agreement already covers this product for part of these dates"],
  agreement_decided: ["该协议已被接受或拒绝", "This agreement was already decided"],
  agreement_not_accepted: ["发行方接受协议后才能结算", "Nothing settles until the issuer accepts the agreement"],
  before_agreements: ["上一周期早于协议生效日，没有可结算的周期", "The last period is before the agreement took effect; there is nothing to settle yet"],
  period_open: ["该结算周期尚未结束", "The period has not ended yet"],
  catching_up: ["已补结之前的周期，请再点一次继续", "Earlier periods were closed; close again to continue"],
  settlement_key_missing: ["结算签名密钥未配置", "The settlement signing key is not configured"],
  statement_unreadable: ["对账单文件无法识别", "The statement file cannot be read"],
  day_not_begun: ["这一天（北京时间）尚未开始，过完再对账", "That day has not begun (China time); reconcile it once it is over"],
  invalid_cursor: ["分页位置无效，请重新查询", "The page cursor is not valid; search again"],
  misconfigured: ["服务配置有误，请联系管理员", "The service is misconfigured"],
  http_error: ["请求被拒绝", "The request was refused"],
  unsupported_media_type: ["请求格式不正确（须为 JSON）", "The request must be sent as JSON"],
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
  perUserDailyLimit: ["每人每日上限", "Daily per-user limit"], minAccountAgeMinutes: ["新账号冷却", "New-account cool-down"],
  perIpLimit: ["每个网络上限", "Per-network limit"], perDeviceLimit: ["每台设备上限", "Per-device limit"], perPhoneLimit: ["每个手机号上限", "Per-phone limit"],
  // Orders, refunds, tickets, redemption
  amountCents: ["金额", "Amount"], units: ["收回权益数", "Rights taken back"], reason: ["原因", "Reason"], note: ["给买家的说明", "Note to the buyer"],
  body: ["内容", "Message"], contact: ["联系方式", "Contact"], couponProductId: ["优惠券商品", "Coupon product"],
  orderAmountCents: ["消费金额", "Purchase amount"], secret: ["密钥", "Key"], storeId: ["门店", "Store"], voucherId: ["卡券", "Voucher"],
  // Risk, webhooks, alerts
  kind: ["类型", "Kind"], value: ["内容", "Value"], expiresAt: ["到期时间", "Expires"],
  url: ["地址", "URL"], eventTypes: ["事件类型", "Event types"], "filter.productId": ["仅限商品", "Only this product"],
  emails: ["邮箱", "E-mail"], phones: ["手机号", "Mobile number"], quietMinutes: ["静默期", "Quiet period"],
  // Suppliers and settlement
  baseUrl: ["接口地址", "API base URL"], appId: ["App ID / 商户号", "App id"], sku: ["供应商 SKU", "Supplier SKU"], costCents: ["成本", "Cost"],
  bps: ["净收入百分比", "% of net revenue"], unitCostCents: ["每件固定成本", "Cost per unit"], tenantId: ["发行方 ID", "Issuer id"],
  "issuer.id": ["发行方 ID", "Issuer id"], "issuer.name": ["发行方名称", "Issuer name"], effectiveFrom: ["生效日", "From"], effectiveTo: ["截止日", "Until"],
};

const ISSUES: Record<string, Pair> = {
  stock_below_taken: ["不能少于已兑换的数量", "cannot be below what was already exchanged"],
  missing_validity: ["上架需填写有效期", "a validity is required to publish"],
  missing_scope: ["上架需填写适用范围", "the scope is required to publish"],
  invalid_window: ["须晚于开始时间", "must be after the start"],
  validity_ended: ["有效期已结束，买家拿到的权益将无法使用", "the validity has ended: a buyer could no longer use it"],
  not_a_coupon_product: ["不是本品牌的优惠券商品", "not a coupon product of this brand"],
  too_small: ["太短或太小", "too short or too small"],
  too_big: ["太长或太大", "too long or too large"],
  invalid_format: ["格式不正确", "wrong format"],
  invalid_string: ["格式不正确", "wrong format"],
  invalid_type: ["缺少或类型不对", "missing or of the wrong type"],
  invalid_value: ["取值不允许", "not an allowed value"],
  invalid_recharge_account: ["格式不正确", "wrong format"],
  unrecognized_keys: ["不认识的字段，请检查拼写", "an unknown field: check its spelling"],
  lottery_disclosure_missing: ["必须填写", "required"],
  // A schema's own checks (params.reason) and the services' issue codes
  required: ["必须填写", "required"],
  at_least_one: ["至少为 1", "must be at least 1"],
  min_one_draw: ["至少 1 次（任务和分享只能额外增加次数）", "at least 1 (tasks and sharing may only add draws)"],
  duplicate: ["不能重复", "must not repeat"],
  lottery_only: ["只有抽奖活动可以设置奖品", "only lotteries have prizes"],
  above_total_limit: ["不能超过每人总上限", "cannot exceed the per-user limit"],
  below_min: ["不能小于最小值", "must not be below the minimum"],
  not_zero: ["不能为 0", "must not be 0"],
  bonus_above_paid: ["赠送金额不能超过实付金额", "the bonus may not exceed the amount paid"],
  invalid_phone: ["须为 11 位大陆手机号", "an 11-digit mainland mobile number"],
  invalid_ip: ["须为 IP 地址或网段，如 203.0.113.0/24", "an IP address or range, e.g. 203.0.113.0/24"],
  invalid_device: ["设备 ID 只能含字母、数字和 _ . : -", "a device id: letters, digits, _ . : -"],
  own_tenant: ["不能是自己", "cannot be yourself"],
  unknown_tenant: ["没有这个租户", "no such tenant"],
  unknown_product: ["不是本品牌的商品", "not a product of this brand"],
  not_a_url: ["不是有效的网址", "not a URL"],
  https_required: ["须以 https:// 开头", "must be https"],
  credentials_in_url: ["不能包含用户名或密码", "must not carry a user name or password"],
  private_address: ["不能指向内网、本机或内部地址", "must not point at a private, loopback or internal address"],
  unsafe_characters: ["含有不可见的控制字符或文字方向符，请删掉后再试", "contains control or text-direction characters; remove them"],
  prize_without_product: ["请选择发放的商品", "pick the product it delivers"],
  unknown_tier: ["没有这个会员等级", "no such member tier"],
};

export interface ApiErrorBody {
  code?: string;
  message?: string;
  issues?: Issue[];
}

type Issue = { path: string; message: string; code?: string };

/** What the page knows beyond the answer: the body it sent (to quote a refused list item) and its own names. */
export interface TextContext {
  sent?: unknown;
  /** The form's labels where they differ from the shared ones (商品描述 rather than 说明). */
  fields?: Record<string, Pair>;
  /** The page's wording of a code (暂不能保存 on an edit, rather than 暂不能上架). */
  codes?: Record<string, Pair>;
}

/**
 * An issue's path without where it came from: json.prizes.0.weight → ["prizes", "0", "weight"]. A bracketed number is
 * a position inside the field's text (description[3], from copy checks), not a list item.
 */
function segments(path: string): string[] {
  const parts = path.split(".").map((p) => p.replace(/\[\d+\]$/, "")).filter(Boolean);
  return ["json", "body", "query", "param"].includes(parts[0] ?? "") ? parts.slice(1) : parts;
}

function fieldName(names: string[], ctx: TextContext): string {
  const last = names[names.length - 1] ?? "";
  const key = names.slice(-2).join(".");
  const pair = ctx.fields?.[key] ?? ctx.fields?.[last] ?? FIELDS[key] ?? FIELDS[last];
  return pair ? t(pair[0], pair[1]) : last;
}

/** A list item is named by what was sent (“not-an-email”) or else by its place (第 2 项). */
function itemName(parts: string[], ctx: TextContext): string {
  if (!/^\d+$/.test(parts[parts.length - 1] ?? "")) return "";
  const value = parts.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), ctx.sent);
  if (typeof value === "string" || typeof value === "number") {
    const quoted = `“${String(value).slice(0, 40)}”`;
    return t(quoted, ` ${quoted}`);
  }
  const n = Number(parts[parts.length - 1]) + 1;
  return t(`第 ${n} 项`, ` item ${n}`);
}

/** Copy findings name the refused words in quotes (“…” from product checks, "…" from campaign checks). */
const COPY_RULES: Record<string, (phrase: string) => Pair> = {
  banned_phrase: (p) => [`含广告法禁用的绝对化用语“${p}”`, `banned absolute claim “${p}”`],
  promised_win: (p) => [`不得承诺必中：“${p}”`, `must not promise a win: “${p}”`],
  share_gated: (p) => [`不得把分享、转发作为抽奖条件：“${p}”`, `must not make sharing a condition of the draw: “${p}”`],
};

/** A number in the field's own unit: cents as yuan, basis points as a percentage. */
function amount(field: string, n: number): string {
  if (field.endsWith("Cents")) return `¥${(n / 100).toFixed(2)}`;
  if (field === "bps") return `${n / 100}%`;
  return String(n);
}

/**
 * zod's size checks state their bound in the message ("Too small: expected number to be >=1"): read it back, so the
 * page says 至少 8 个字符 rather than 太短或太小. A schema's own message (no bound) keeps the general text.
 */
function boundText(i: Issue, field: string): Pair | undefined {
  const m = /expected (\w+) to (?:be|have) ([<>])(=?)(-?[\d.]+)/.exec(i.message);
  if (!m || (i.code !== "too_small" && i.code !== "too_big")) return undefined;
  const [, origin, dir, eq, raw] = m;
  const n = Number(raw);
  const min = dir === ">";
  if (origin === "string") {
    if (min && n <= 1) return ["不能为空", "must not be empty"];
    return min ? [`至少 ${n} 个字符`, `at least ${n} characters`] : [`最多 ${n} 个字符`, `at most ${n} characters`];
  }
  if (origin === "array" || origin === "set") return min ? [`至少 ${n} 项`, `at least ${n} items`] : [`最多 ${n} 项`, `at most ${n} items`];
  const v = amount(field, n);
  if (min) return eq ? [`不能小于 ${v}`, `must be at least ${v}`] : [`须大于 ${v}`, `must be more than ${v}`];
  return eq ? [`不能大于 ${v}`, `must be at most ${v}`] : [`须小于 ${v}`, `must be less than ${v}`];
}

/** An enum's refusal lists what it takes ('expected one of "a"|"b"'); a missing value says so. */
function choiceText(i: Issue): Pair | undefined {
  if (i.code === "invalid_type" && /received undefined/.test(i.message)) return ["必须填写", "required"];
  if (i.code !== "invalid_value") return undefined;
  const options = [...i.message.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  if (!options.length) return undefined;
  const shown = options.length > 12 ? [...options.slice(0, 12), "…"] : options;
  return [`取值不允许，可选：${shown.join("、")}`, `not allowed; one of ${shown.join(", ")}`];
}

function reasonText(i: Issue, field: string): string {
  const rule = i.code ? COPY_RULES[i.code] : undefined;
  if (rule) return t(...rule(/[“"](.+?)[”"]/.exec(i.message)?.[1] ?? ""));
  const pair = boundText(i, field) ?? choiceText(i) ?? (i.code ? ISSUES[i.code] : undefined);
  return pair ? t(pair[0], pair[1]) : t("填写有误", i.message);
}

function issueText(i: Issue, ctx: TextContext): string {
  const parts = segments(i.path);
  const names = parts.filter((p) => !/^\d+$/.test(p));
  const field = fieldName(names, ctx);
  const name = field + itemName(parts, ctx);
  const prefix = name ? t(`${name}：`, `${name}: `) : "";
  return prefix + reasonText(i, names[names.length - 1] ?? "");
}

/**
 * One line per problem, in the page's language. A known code says what was refused; only an unknown one gets the
 * fallback ("try again later"), since a refusal the API explains will not change on retry.
 */
export function errorText(e: ApiErrorBody | null | undefined, fallback: Pair = ["操作失败，请稍后再试", "Failed, try again later"], ctx: TextContext = {}): string {
  if (!e?.code) return t(fallback[0], fallback[1]);
  const pair = ctx.codes?.[e.code] ?? CODES[e.code] ?? REJECT[e.code];
  const head = pair ? t(pair[0], pair[1]) : t(`${fallback[0]}（${e.code}）`, e.message ?? fallback[1]);
  return [head, ...(e.issues ?? []).map((i) => issueText(i, ctx))].join("\n");
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/g;

/**
 * A store counter's refusal (redemption, stored value): its "中文 / English" message carries the specifics (when the
 * voucher expired, where it was redeemed, the balance left), shown with times in local time. A message in one
 * language only (a validation failure's "Invalid request body — json.x: …") is for developers: the code and fields speak instead.
 */
export function counterErrorText(e: ApiErrorBody | null | undefined, fallback: Pair, ctx: TextContext = {}): string {
  const message = e?.message ?? "";
  if (e?.code !== "validation_failed" && message.includes(" / ")) return bilingual(message).replace(ISO_TIME, (iso) => new Date(iso).toLocaleString("zh-CN", { hour12: false }));
  return errorText(e, fallback, ctx);
}
