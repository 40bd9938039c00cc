/**
 * Why a claim or draw was refused, by the API's code, in Chinese and English. Plain data with no imports: the campaign
 * pages (campaign-api.ts) and the embeddable widget (site/widget/widget.ts, which picks its language itself) share it.
 */
export const REJECT: Record<string, readonly [zh: string, en: string]> = {
  sold_out: ["已抢光", "Sold out"],
  claim_unfulfillable: ["很抱歉，你抢到的名额未能生成订单（商品库存不足），未扣款，也不占用限购次数", "Sorry: your win could not become an order (the product ran out). Nothing was charged and it does not count towards your limit"],
  limit_reached: ["已达到本活动的领取上限", "You reached this campaign's limit"],
  daily_limit_reached: ["今日已领取，明天再来", "Daily limit reached, come back tomorrow"],
  no_chances: ["今日抽奖次数已用完", "No draws left today"],
  not_started: ["活动尚未开始", "Not started yet"],
  ended: ["活动已结束", "The campaign has ended"],
  rate_limited: ["操作太频繁，请稍后再试", "Too many attempts, try again shortly"],
  blocked: ["当前账号或网络暂时无法参与，如有疑问请联系商家", "This account or network cannot take part; contact the brand"],
  challenge_required: ["安全验证未通过，请稍后再试", "The security check did not pass, try again"],
  challenge_invalid: ["安全验证未通过，请稍后再试", "The security check did not pass, try again"],
  phone_required: ["本活动需先验证手机号", "Verify your phone number to take part"],
  member_required: ["本活动仅限品牌会员参与", "For the brand's members only"],
  account_too_new: ["新注册账号需稍后才能参与", "New accounts can take part a little later"],
  ip_limit_reached: ["当前网络已达到本活动的参与上限", "This network has reached the campaign's limit"],
  device_limit_reached: ["此设备已达到本活动的参与上限", "This device has reached the campaign's limit"],
  phone_limit_reached: ["此手机号已达到本活动的参与上限", "This phone number has reached the campaign's limit"],
};
