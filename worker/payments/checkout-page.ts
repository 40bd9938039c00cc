/** The cashier (收银台): plain HTML, no framework, like a gateway's hosted page. Lists the tenant's ways to pay. */
const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export interface CashierView {
  paymentId: string;
  title: string;
  amountCents: number;
  status: string;
  returnUrl: string;
  /** Gateways the buyer can choose (each: POST …/start, then the browser goes where it says). */
  methods: { name: string; label: string }[];
  /** Development: the sandbox's own pay button (it posts to sandboxPayUrl). */
  sandboxPayUrl: string | null;
  /** What came off the order before the charge (the member price, coupons, the balance part), with its list amount before them; null: nothing. */
  breakdown: { subtotalCents: number; quantity: number; deductions: { label: string; en: string; cents: number }[] } | null;
}

/** An order that cannot be paid (any status but created), in words: [Chinese, English]; never the raw status. */
const NOT_PAYABLE: Record<string, [string, string]> = {
  paid: ["该订单已支付，正在发放，无需再次支付。", "This order is paid and being delivered; nothing to pay."],
  delivered: ["该订单已完成，无需支付。", "This order is complete; nothing to pay."],
  failed: ["该订单未能完成，无需支付，请联系商户处理。", "This order could not be completed; nothing to pay. Please contact the merchant."],
  refunded: ["该订单已退款，无需支付。", "This order was refunded; nothing to pay."],
  cancelled: ["订单已取消。", "This order was cancelled."],
  expired: ["订单已超时关闭，请返回重新下单。", "This order timed out and was closed; go back and order again."],
};
const notPayable = (status: string): [string, string] => NOT_PAYABLE[status] ?? ["该订单当前无需支付。", "This order needs no payment now."];
/** The cashier's refusals in both languages (the page has no bundle to import site/src/lib/error-text.ts into). */
const CASHIER_TEXT: Record<string, [string, string]> = {
  paid_elsewhere: ["该订单已付款，正在确认，请勿重复支付；正在返回订单…", "Already paid: it is being confirmed, do not pay again. Going back to the order…"],
  order_paid: ["该订单已付款，正在发货，请勿重复支付；正在返回订单…", "Already paid: the order is on its way, do not pay again. Going back to the order…"],
  gateway_unavailable: ["支付渠道暂时无法连接，请稍后再试", "The payment provider could not be reached; try again later"],
  not_payable: ["该订单当前不能支付（可能已取消或已过期）", "This order cannot be paid now (it may be cancelled or expired)"],
  not_found: ["找不到该支付单", "No such payment"],
};

/** Chinese by default; English when the storefront's language choice (localStorage kq-lang, or ?lang=en) says so. */
const en = (text: string) => ` data-en="${esc(text)}"`;

const fen = (cents: number) => `¥${(cents / 100).toFixed(2)}`;

/** 商品金额, each deduction (−¥20.00 满100减20券) and 应付: the buyer sees why the amount is what it is. */
function breakdownHtml(b: CashierView["breakdown"], amountCents: number) {
  if (!b) return `<div class="amt">${fen(amountCents)}</div>`;
  const row = (cls: string, label: string, labelEn: string, amount: string) =>
    `<div class="${cls}"><dt${en(labelEn)}>${esc(label)}</dt><dd>${amount}</dd></div>`;
  return `<dl id="summary">${row("sub", b.quantity > 1 ? `商品金额（${b.quantity} 件）` : "商品金额", b.quantity > 1 ? `Order amount (${b.quantity} items)` : "Order amount", fen(b.subtotalCents))}${b.deductions.map((d) => row("off", d.label, d.en, `−${fen(d.cents)}`)).join("")}
<div class="due"><dt${en("To pay")}>应付</dt><dd class="amt">${fen(amountCents)}</dd></div></dl>`;
}

export function checkoutHtml(p: CashierView) {
  const payable = p.status === "created";
  const methods = p.methods.map((m) => `<button class="method" data-provider="${esc(m.name)}">${esc(m.label)}</button>`).join("");
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml"><title>${p.sandboxPayUrl ? "沙箱收银台" : "收银台"}</title>
<style>body{font-family:system-ui,"PingFang SC",sans-serif;background:#f1f5f9;margin:0}main{max-width:420px;margin:2rem auto;background:#fff;border-radius:12px;padding:1.5rem}
.amt{font-size:2rem;font-weight:700;margin:.5rem 0}button{width:100%;padding:.9rem;font-size:1.05rem;border:0;border-radius:8px;background:#1677ff;color:#fff;margin:.35rem 0}
button.method{background:#fff;color:#0f172a;border:1px solid #cbd5e1}button.method[data-provider=wechatpay]{border-color:#07c160;color:#065f46}button.method[data-provider=alipay]{border-color:#1677ff;color:#0b4dbf}
.muted{color:#475569;font-size:.85rem}#summary{margin:.75rem 0}#summary div{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;margin:.3rem 0}
#summary dt{color:#475569;min-width:0;overflow-wrap:anywhere}#summary dd{margin:0;white-space:nowrap}#summary .off dd{color:#dc2626}#summary .due{border-top:1px solid #e2e8f0;padding-top:.4rem}#summary .due .amt{margin:0}.tag{display:inline-block;background:#fef3c7;color:#92400e;border-radius:4px;padding:0 .4rem;font-size:.75rem}</style></head>
<body><main><p>${p.sandboxPayUrl ? `<span class="tag">SANDBOX 沙箱</span> ` : ""}<span${en("kaquan checkout")}>kaquan 收银台</span></p>
<h1 style="font-size:1.1rem">${esc(p.title)}</h1>${breakdownHtml(p.breakdown, p.amountCents)}
<p class="muted"><span${en("Payment")}>支付单号</span> ${esc(p.paymentId)}</p>
${payable ? `${methods ? `<div role="group" aria-label="选择支付方式">${methods}</div>` : ""}
${p.sandboxPayUrl ? `<p class="muted"><span${en("Sandbox wallet")}>沙箱钱包</span> <span id="wallet"></span></p><button id="pay"${en("Pay")}>确认支付</button>` : ""}
${!methods && !p.sandboxPayUrl ? `<p${en("The merchant has not set up online payment yet.")}>商户尚未开通在线支付。</p>` : ""}` : `<p id="state" data-status="${esc(p.status)}"${en(notPayable(p.status)[1])}>${notPayable(p.status)[0]}</p>`}
<p id="msg" class="muted" role="status"></p>
<p><a href="${esc(p.returnUrl)}"${en("Back to the merchant")}>返回商户</a></p></main>
<script>
try{const q=new URLSearchParams(location.search).get("lang");if((q||localStorage.getItem("kq-lang"))==="en"){document.documentElement.lang="en";for(const e of document.querySelectorAll("[data-en]"))e.textContent=e.dataset.en;}}catch{}
const E=document.documentElement.lang==="en",msg=document.getElementById("msg"),base=${JSON.stringify(`/api/v1/pay/checkout/${p.paymentId}`)};
const Z=${JSON.stringify(CASHIER_TEXT)},back=${JSON.stringify(p.returnUrl)};
function say(j,r){const c=j.error&&j.error.code,z=Z[c];if(c==="order_paid"||c==="paid_elsewhere")setTimeout(()=>location.href=back,2500);return z?z[E?1:0]:((j.error&&j.error.message)||r.status);}
for(const b of document.querySelectorAll("button.method"))b.onclick=async()=>{b.disabled=true;msg.textContent=(E?"Going to ":"正在前往")+b.textContent+"…";
const r=await fetch(base+"/start",{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify({provider:b.dataset.provider})});const j=await r.json().catch(()=>({}));
if(r.ok&&j.redirectUrl){location.href=j.redirectUrl}else{msg.textContent=(E?"Could not start the payment: ":"无法发起支付：")+say(j,r);b.disabled=false;}};
const btn=document.getElementById("pay");
if(btn){let wallet=localStorage.getItem("sbx_wallet");if(!wallet){wallet="wallet_"+Math.random().toString(36).slice(2,12);localStorage.setItem("sbx_wallet",wallet);}
document.getElementById("wallet").textContent=wallet;
btn.onclick=async()=>{btn.disabled=true;msg.textContent=E?"Paying…":"支付中…";
const r=await fetch(${JSON.stringify(p.sandboxPayUrl ?? "")},{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify({payerAccount:wallet})});const j=await r.json().catch(()=>({}));
if(r.ok){msg.textContent=E?"Paid. Going back…":"支付成功，正在返回…";location.href=${JSON.stringify(p.returnUrl)};}
else{msg.textContent=(E?"Payment failed: ":"支付失败：")+say(j,r);btn.disabled=false;}};}
</script></body></html>`;
}
