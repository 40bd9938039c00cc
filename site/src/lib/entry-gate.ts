/**
 * What a campaign page shows when its entry rules refuse a claim (403 phone_required / member_required /
 * account_too_new): the phone sign-in form (the shop's OTP sign-in), or what the visitor can do instead.
 */
import { t } from "./i18n";
import { el, shopFetch } from "./shop-api";
import { errorText } from "./error-text";
import { acquisition } from "./visit";
import { campaignId, forgetBuyer } from "./campaign-api";

export const ENTRY_CODES = new Set(["phone_required", "member_required", "account_too_new"]);

/** Replaces `box`'s content with the way forward; `retry` runs after a successful sign-in (the claim again). */
export function showEntryGate(box: HTMLElement, code: string, retryAfter: string | null, retry: () => void) {
  box.hidden = false;
  if (code === "member_required") {
    box.replaceChildren(el("p", {}, t("本活动仅限品牌会员参与：请在品牌的 App 或官网登录会员后，从那里打开本活动。", "This campaign is for the brand's members: sign in on the brand's app or site and open it from there.")));
    return;
  }
  if (code === "account_too_new") {
    const mins = Math.max(1, Math.ceil(Number(retryAfter ?? "60") / 60));
    box.replaceChildren(el("p", {}, t(`为防止刷单，新注册账号需等待 ${mins} 分钟后才能参与。`, `To stop bulk sign-ups, new accounts can take part in ${mins} min.`)));
    return;
  }
  const phone = el("input", { id: "gate-phone", type: "tel", inputMode: "numeric", autocomplete: "tel", placeholder: t("手机号", "Mobile number"), required: true });
  const code6 = el("input", { id: "gate-code", inputMode: "numeric", autocomplete: "one-time-code", placeholder: t("6 位验证码", "6-digit code"), required: true, maxLength: 6 });
  const send = el("button", { type: "button", id: "gate-send", className: "gate-send" }, t("获取验证码", "Send code"));
  const submit = el("button", { type: "submit", id: "gate-submit", className: "go" }, t("验证并参与", "Verify and take part"));
  // PIPL: signing in needs consent to the current personal-information text (its version goes with the request).
  const agree = el("input", { id: "gate-consent", type: "checkbox" });
  const agreeText = el("span", {}, t("我已阅读并同意个人信息处理规则", "I have read and agree to the personal information rules"));
  let consentVersion = "";
  void shopFetch<any>("/consent-texts").then((r) => {
    const text = (r.body?.texts ?? []).find((x: any) => x.purpose === "phone_sign_in");
    if (!text) return;
    consentVersion = text.version;
    agreeText.textContent = `${t(text.zh, text.en)} (${t("版本", "version")} ${text.version})`;
  });
  const msg = el("p", { className: "muted", role: "status" } as any);
  const dev = el("p", { className: "muted", id: "gate-dev", hidden: true });
  const form = el("form", { id: "gate-form", className: "gate" },
    el("p", {}, t("本活动仅限手机号验证用户参与，请先验证手机号。", "This campaign needs a verified phone number: sign in with a code first.")),
    el("label", {}, t("手机号", "Mobile"), phone),
    el("div", { className: "gate-row" }, code6, send),
    el("label", { className: "gate-consent" }, agree, agreeText),
    submit, msg, dev,
  );
  send.onclick = async () => {
    const r = await shopFetch<any>("/otp", { method: "POST", json: { phone: phone.value } });
    msg.textContent = r.status === 200 ? t("验证码已发送", "Code sent") : errorText(r.body?.error);
    if (r.status !== 200) return;
    // Local development only: the SMS sandbox's outbox is readable, so the demo needs no phone.
    const sms = await shopFetch<any>(`/dev/sms?phone=${encodeURIComponent(phone.value)}`);
    if (sms.status === 200 && sms.body.messages[0]) {
      dev.hidden = false;
      dev.textContent = `${t("短信沙箱", "SMS sandbox")}: ${sms.body.messages[0].body}`;
    }
  };
  form.onsubmit = async (e) => {
    e.preventDefault();
    if (!agree.checked) {
      msg.textContent = t("请先阅读并同意个人信息处理规则", "Please read and agree to the personal information rules first");
      return;
    }
    const consent = { version: consentVersion, accepted: true, marketing: false };
    const r = await shopFetch<any>("/otp/verify", { method: "POST", json: { phone: phone.value, code: code6.value.trim(), acquisition: acquisition(campaignId()), consent } });
    if (r.status !== 200) {
      msg.textContent = errorText(r.body?.error);
      return;
    }
    forgetBuyer(r.body.buyer.id);
    box.replaceChildren(el("p", { className: "ok" }, t("验证成功", "Verified")));
    box.hidden = true;
    retry();
  };
  box.replaceChildren(form);
  phone.focus();
}
