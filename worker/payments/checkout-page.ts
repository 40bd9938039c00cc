/** The sandbox gateway's hosted checkout page: plain HTML, no framework, like a real gateway's cashier page. */
const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function checkoutHtml(p: { paymentId: string; title: string; amountCents: number; status: string; returnUrl: string }) {
  const yuan = (p.amountCents / 100).toFixed(2);
  const payable = p.status === "created" || p.status === "expired";
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>沙箱收银台</title>
<style>body{font-family:system-ui,"PingFang SC",sans-serif;background:#f1f5f9;margin:0}main{max-width:420px;margin:2rem auto;background:#fff;border-radius:12px;padding:1.5rem}
.amt{font-size:2rem;font-weight:700;margin:.5rem 0}button{width:100%;padding:.9rem;font-size:1.05rem;border:0;border-radius:8px;background:#1677ff;color:#fff}
.muted{color:#64748b;font-size:.85rem}.tag{display:inline-block;background:#fef3c7;color:#92400e;border-radius:4px;padding:0 .4rem;font-size:.75rem}</style></head>
<body><main><p><span class="tag">SANDBOX 沙箱</span> kaquan 测试收银台</p>
<h1 style="font-size:1.1rem">${esc(p.title)}</h1><div class="amt">¥${yuan}</div>
<p class="muted">支付单号 ${esc(p.paymentId)}</p>
<p class="muted">付款账户（沙箱钱包）<span id="wallet"></span></p>
${payable ? `<button id="pay">确认支付</button>` : `<p>该订单当前状态：${esc(p.status)}，无需支付。</p>`}
<p id="msg" class="muted" role="status"></p>
<p><a href="${esc(p.returnUrl)}">返回商户</a></p></main>
<script>
const btn=document.getElementById("pay");
let wallet=localStorage.getItem("sbx_wallet");if(!wallet){wallet="wallet_"+Math.random().toString(36).slice(2,12);localStorage.setItem("sbx_wallet",wallet);}
const w=document.getElementById("wallet");if(w)w.textContent=wallet;
if(btn)btn.onclick=async()=>{btn.disabled=true;document.getElementById("msg").textContent="支付中…";
const r=await fetch(location.pathname+"/pay",{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify({payerAccount:wallet})});const j=await r.json().catch(()=>({}));
if(r.ok){document.getElementById("msg").textContent="支付成功，正在返回…";location.href=${JSON.stringify(p.returnUrl)};}
else{document.getElementById("msg").textContent="支付失败："+((j.error&&j.error.message)||r.status);btn.disabled=false;}};
</script></body></html>`;
}
