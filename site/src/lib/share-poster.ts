/**
 * Share posters (分享海报): a <canvas> with the product or campaign image, the title, the price, the brand and a QR
 * code of the visitor's own share link (?share=<code>, so a friend who scans it is attributed to them). The canvas is
 * then shown as an <img> (WeChat-style long-press save) with a download link. The QR is made in the browser
 * (qrcode-generator, bundled): nothing goes to a third party.
 *
 * Any page can use it: put <SharePoster /> (components/SharePoster.astro) on the page, then once the subject is known
 *   setPosterSubject(document.querySelector("[data-share-poster]")!, { mechanism: "group", subjectId: teamId,
 *     title, priceText: "拼团价 ¥9.90", image })
 * or write the data-* attributes yourself (data-mechanism, data-subject-id, data-title, data-price, data-image).
 */
import qrcode from "qrcode-generator";
import { t } from "./i18n";
import { shopFetch } from "./shop-api";
import { acquisition } from "./visit";

export type PosterMechanism = "campaign" | "product" | "group" | "assist" | "invite";
export interface PosterSubject {
  mechanism: PosterMechanism;
  subjectId: string;
  title: string;
  priceText?: string;
  image?: string | null;
}

/** The picture area's words when there is no image to draw (a team, an assist request): never an empty grey box. */
const BANNER: Record<PosterMechanism, readonly [string, string]> = {
  campaign: ["限时活动", "Limited offer"], product: ["好物分享", "Shared with you"], group: ["一起拼团", "Team up"],
  assist: ["帮我助力", "Help me out"], invite: ["好友邀请", "You're invited"],
};

export const W = 600;
export const H = 960;

export function setPosterSubject(root: HTMLElement, s: PosterSubject) {
  Object.assign(root.dataset, { mechanism: s.mechanism, subjectId: s.subjectId, title: s.title, price: s.priceText ?? "", image: s.image ?? "" });
  root.hidden = false;
}

function loadImage(src: string): Promise<HTMLImageElement | null> {
  return new Promise((resolve) => {
    const img = new Image();
    img.crossOrigin = "anonymous"; // an image without CORS would taint the canvas: then it is left out
    img.onload = () => resolve(img);
    img.onerror = () => resolve(null);
    img.src = src;
  });
}

/** Title lines that fit `width` (at most `max`, the last one cut with …). */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number, max: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const ch of text) {
    if (ctx.measureText(line + ch).width > width && line) {
      lines.push(line);
      line = "";
      if (lines.length === max) break;
    }
    line += ch;
  }
  if (lines.length < max && line) lines.push(line);
  else if (lines.length === max && line) lines[max - 1] = `${lines[max - 1]!.slice(0, -1)}…`;
  return lines;
}

/** The QR of `text`, black modules on white with a 4-module quiet zone, on whole pixels so scanners read it. */
export function drawQr(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, size: number) {
  const q = qrcode(0, "M");
  q.addData(text);
  q.make();
  const n = q.getModuleCount();
  const cell = Math.floor(size / (n + 8));
  const side = cell * (n + 8);
  ctx.fillStyle = "#fff";
  ctx.fillRect(x, y, side, side);
  ctx.fillStyle = "#000";
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (q.isDark(r, c)) ctx.fillRect(x + (c + 4) * cell, y + (r + 4) * cell, cell, cell);
  return side;
}

function cover(ctx: CanvasRenderingContext2D, img: HTMLImageElement, x: number, y: number, w: number, h: number) {
  const iw = img.naturalWidth || w;
  const ih = img.naturalHeight || h;
  const s = Math.max(w / iw, h / ih);
  const sw = w / s;
  const sh = h / s;
  ctx.drawImage(img, (iw - sw) / 2, (ih - sh) / 2, sw, sh, x, y, w, h);
}

/** Draws the poster; an image that taints the canvas (no CORS) is left out: the poster is drawn again without it. */
export async function drawPoster(canvas: HTMLCanvasElement, s: PosterSubject & { brand: string; url: string }, withImage = true): Promise<void> {
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext("2d")!;
  const font = (px: number, weight = 400) => `${weight} ${px}px system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", sans-serif`;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = "#c2410c";
  ctx.fillRect(0, 0, W, 84);
  ctx.fillStyle = "#fff";
  ctx.font = font(30, 700);
  ctx.textBaseline = "middle";
  ctx.fillText(wrap(ctx, s.brand, W - 64, 1)[0] ?? "", 32, 42);
  const img = withImage && s.image ? await loadImage(s.image) : null;
  ctx.fillStyle = img ? "#f3f4f6" : "#fff7ed";
  ctx.fillRect(0, 84, W, 338);
  if (img) cover(ctx, img, 0, 84, W, 338);
  else {
    ctx.fillStyle = "#c2410c";
    ctx.font = font(72, 800);
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(t(...BANNER[s.mechanism]), W / 2, 84 + 169);
    ctx.textAlign = "left";
  }
  ctx.fillStyle = "#111";
  ctx.font = font(36, 700);
  ctx.textBaseline = "top";
  wrap(ctx, s.title, W - 64, 2).forEach((line, i) => ctx.fillText(line, 32, 448 + i * 48));
  if (s.priceText) {
    ctx.fillStyle = "#c2410c";
    ctx.font = font(44, 800);
    ctx.fillText(s.priceText, 32, 560);
  }
  ctx.fillStyle = "#e5e7eb";
  ctx.fillRect(32, 636, W - 64, 2);
  const side = drawQr(ctx, s.url, W - 32 - 280, 660, 280);
  ctx.fillStyle = "#374151";
  ctx.font = font(28, 600);
  ctx.fillText(t("长按识别二维码", "Scan the QR code"), 32, 690);
  ctx.font = font(24);
  ctx.fillStyle = "#6b7280";
  wrap(ctx, t("和我一起参加，好友专属链接", "Join me through my link"), W - 64 - side - 16, 2).forEach((line, i) => ctx.fillText(line, 32, 736 + i * 34));
  try {
    canvas.toDataURL();
  } catch {
    if (withImage) return drawPoster(canvas, s, false);
  }
}

/**
 * Gets a share link of the subject for this visitor (a guest session is started if there is none): POST …/shares
 * records share_sent and the link's ?share= code attributes the friends who follow it. Share buttons use it too.
 */
export async function shareLink(s: Pick<PosterSubject, "mechanism" | "subjectId">, channel = "poster"): Promise<{ url: string; brand: string } | null> {
  const json = { mechanism: s.mechanism, subjectId: s.subjectId, channel };
  let r = await shopFetch<any>("/shares", { method: "POST", json });
  if (r.status === 401) {
    await shopFetch("/guest", { method: "POST", json: { acquisition: acquisition(s.mechanism === "campaign" ? s.subjectId : null) } });
    r = await shopFetch<any>("/shares", { method: "POST", json });
  }
  if (r.status !== 201) return null;
  return { url: new URL(r.body.url, location.origin).href, brand: r.body.brand ?? "" };
}

/** Wires one <SharePoster /> block: its button makes the link, draws the poster and shows it as a savable image. */
export function mountSharePoster(root: HTMLElement) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "1";
  const button = root.querySelector<HTMLButtonElement>("[data-poster-open]")!;
  const out = root.querySelector<HTMLElement>("[data-poster-out]")!;
  const canvas = root.querySelector<HTMLCanvasElement>("canvas")!;
  const img = root.querySelector<HTMLImageElement>("[data-poster-img]")!;
  const save = root.querySelector<HTMLAnchorElement>("[data-poster-save]")!;
  const msg = root.querySelector<HTMLElement>("[data-poster-msg]")!;
  button.addEventListener("click", async () => {
    const d = root.dataset;
    if (!d.mechanism || !d.subjectId) return;
    const subject: PosterSubject = { mechanism: d.mechanism as PosterMechanism, subjectId: d.subjectId, title: d.title ?? "", priceText: d.price || undefined, image: d.image || null };
    button.disabled = true;
    msg.textContent = t("海报生成中…", "Making the poster…");
    const link = await shareLink(subject);
    if (!link) {
      msg.textContent = t("生成失败，请稍后再试", "Could not make the poster, try again");
      button.disabled = false;
      return;
    }
    await drawPoster(canvas, { ...subject, brand: link.brand, url: link.url });
    const data = canvas.toDataURL("image/png");
    img.src = data;
    save.href = data;
    root.dataset.shareUrl = link.url;
    out.hidden = false;
    msg.textContent = t("长按图片保存，或点“保存海报”", "Long-press the image to save it, or tap Save");
    button.disabled = false;
    root.dispatchEvent(new CustomEvent("kaquan:poster", { detail: { url: link.url }, bubbles: true }));
  });
}

export const mountSharePosters = () => document.querySelectorAll<HTMLElement>("[data-share-poster]").forEach(mountSharePoster);
