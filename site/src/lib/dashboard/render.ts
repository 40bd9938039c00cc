import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Row } from "./api";
import { t as tr } from "../i18n";
import { flatten } from "./csv";

const isRate = (k: string) => /Rate$|^rates_|^from(Previous|First)$|^viewToPaid$|^newUserShare$|^inviteConversion$|^share$/.test(k);
const isCents = (k: string) => /Cents$/.test(k);

export function fmt(k: string, v: unknown): string {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  if (isRate(k)) return `${(v * 100).toFixed(1)}%`;
  if (isCents(k)) return `¥${(v / 100).toFixed(2)}`;
  return Number.isInteger(v) ? v.toLocaleString() : v.toFixed(2);
}

/** A plain table of rows; `heat` shades rate cells (the cohort matrix). */
export function table(el: HTMLElement, rows: Row[], labels: Record<string, string>, heat = false) {
  const flat = flatten(rows);
  if (flat.length === 0) {
    el.innerHTML = `<p class="empty">${tr("暂无数据", "No data")}</p>`;
    return;
  }
  const cols = Object.keys(flat[0]!);
  const t = document.createElement("table");
  t.innerHTML = `<thead><tr>${cols.map((c) => `<th scope="col">${labels[c] ?? c}</th>`).join("")}</tr></thead>`;
  const body = document.createElement("tbody");
  for (const r of flat) {
    const tr = document.createElement("tr");
    for (const c of cols) {
      const td = document.createElement("td");
      td.textContent = fmt(c, r[c]);
      const v = r[c];
      if (heat && isRate(c) && typeof v === "number") td.style.background = `rgba(194, 65, 12, ${Math.min(1, v) * 0.75})`;
      tr.append(td);
    }
    body.append(tr);
  }
  t.append(body);
  el.replaceChildren(t);
}

// Axis labels at phone width: a date is month/day (2026-11-28 → 11/28), an id keeps its (distinctive) tail, a name its
// head; the table (and the legend, under the finger) shows each whole.
const ISO_DATE = /^\d{4}-(\d{2})-(\d{2})$/;
const short = (s: string) => {
  const date = ISO_DATE.exec(s);
  if (date) return `${Number(date[1])}/${Number(date[2])}`;
  return /^[a-z]+_[\w-]+$/i.test(s) ? (s.length > 12 ? `…${s.slice(-8)}` : s) : s.length > 8 ? `${s.slice(0, 7)}…` : s;
};

/** Rough pixel width of a tick label: a CJK character is about twice a Latin one at the axis font. */
const labelWidth = (s: string) => [...s].reduce((w, ch) => w + ((ch.codePointAt(0) ?? 0) >= 0x2e80 ? 12 : 7), 0);

const everyKth = (labels: string[], room: number, width: (s: string) => number) =>
  Math.max(1, Math.ceil(labels.length / Math.max(1, Math.floor(room / (12 + Math.max(...labels.map(width)))))));
// A name that does not fit on one line is broken in two (uPlot draws a tick's lines one under the other), so a few
// short names (拼团 / 助力 / 邀请有礼 …) are all labelled on a phone rather than every other one.
// Words break at the space (or after the slash: 领券/抽奖) nearest the middle, Chinese at the middle; ids and dates stay whole.
const twoLines = (s: string) => {
  const text = short(s);
  const breaks = [...text.matchAll(/[ /]/g)].map((m) => m.index!);
  if (breaks.length) {
    const at = breaks.reduce((a, b) => (Math.abs(b - text.length / 2) < Math.abs(a - text.length / 2) ? b : a));
    return text[at] === "/" ? `${text.slice(0, at + 1)}\n${text.slice(at + 1)}` : `${text.slice(0, at)}\n${text.slice(at + 1)}`;
  }
  const chars = [...text];
  if (chars.length < 3 || !chars.every((ch) => (ch.codePointAt(0) ?? 0) >= 0x2e80)) return text;
  return `${chars.slice(0, Math.ceil(chars.length / 2)).join("")}\n${chars.slice(Math.ceil(chars.length / 2)).join("")}`;
};
const widest = (s: string) => Math.max(...s.split("\n").map(labelWidth));

function ticks(labels: string[], room: number): { every: number; text: (s: string) => string } {
  const every = everyKth(labels, room, (l) => labelWidth(short(l)));
  if (every === 1 || everyKth(labels, room, (l) => widest(twoLines(l))) > 1) return { every, text: short };
  return { every: 1, text: twoLines };
}

const PALETTE = ["#c2410c", "#0369a1", "#15803d", "#7c3aed", "#b45309"];

/** Ticks of a count axis: whole numbers only (uPlot's default steps include 0.25, a quarter of a member). */
const WHOLE = [1, 2, 5].flatMap((m) => Array.from({ length: 10 }, (_, e) => m * 10 ** e)).sort((a, b) => a - b);

/**
 * The legend's readout (the category and each series' value) is for the point under the finger or pointer; at rest
 * the legend is the series' names by colour. (uPlot's readout of no point is "类别: –  核销率: –".)
 */
function readoutOnlyUnderCursor(u: uPlot) {
  const legend = u.root.querySelector(".u-legend");
  const rest = u.legend.idx == null;
  // uPlot hides the values and their colons of a legend that is not "live" (uPlot.css: .u-inline:not(.u-live)).
  legend?.classList.toggle("u-live", !rest);
  legend?.classList.toggle("at-rest", rest);
}

/**
 * A line chart over categories (cohorts, steps, campaigns): x is the index, the axis shows the labels. A chart with no
 * value to draw (every cohort too young for its rate) says `none` instead of drawing empty axes.
 */
export function chart(el: HTMLElement, labels: string[], series: { label: string; values: (number | null)[]; pct?: boolean }[], bars = false, none?: string) {
  el.replaceChildren();
  if (labels.length === 0) return;
  if (series.every((s) => s.values.every((v) => v === null || v === undefined || Number.isNaN(v)))) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = none ?? tr("还没有可画的数值（“–” = 尚未满期或无可比），见下表", "Nothing to plot yet (“–” = not due yet or nothing to compare); see the table");
    el.append(p);
    return;
  }
  const whole = series.every((s) => !s.pct && s.values.every((v) => v === null || Number.isInteger(v)));
  const width = Math.max(280, el.clientWidth || 600);
  const tick = ticks(labels, width - 50);
  const opts: uPlot.Options = {
    width,
    height: 220,
    // Counts and amounts start at 0, so a bar's height compares with the others' (uPlot fits the range to the data).
    scales: { x: { time: false, range: () => [-0.5, labels.length - 0.5] }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] } },
    axes: [
      {
        // One tick per category, or every k-th when the widest would overlap (measured per character); long ids are
        // shortened on the axis (the table shows them whole).
        splits: () => labels.map((_, i) => i).filter((i) => i % tick.every === 0),
        values: (_u, splits) => splits.map((i) => tick.text(labels[i] ?? "")),
        space: 40,
      },
      {
        values: (_u, splits) => splits.map((v) => (series[0]?.pct ? `${Math.round(v * 100)}%` : v.toLocaleString())),
        ...(whole ? { incrs: WHOLE } : {}),
        // Wide enough for the longest tick label (e.g. 10,000), which the default 50 px cuts off.
        size: (_u, values) => Math.max(50, 16 + 7 * Math.max(0, ...(values ?? []).map((v) => String(v).length))),
      },
    ],
    series: [
      // The category (or date) under the cursor, whole (uPlot's default names it "Value" and shows "--").
      { label: labels.every((l) => ISO_DATE.test(l)) ? tr("日期", "Date") : tr("类别", "Category"), value: (_u: uPlot, v: number | null) => (v === null ? "–" : (labels[Math.round(v)] ?? "")) },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: PALETTE[i % PALETTE.length],
        fill: bars ? `${PALETTE[i % PALETTE.length]}55` : undefined,
        width: 2,
        paths: bars ? uPlot.paths.bars!({ size: [0.6, 60] }) : undefined,
        value: (_u: uPlot, v: number | null) => (v === null ? "–" : s.pct ? `${(v * 100).toFixed(1)}%` : v.toLocaleString()),
      })),
    ],
  };
  opts.hooks = { setLegend: [readoutOnlyUnderCursor] };
  readoutOnlyUnderCursor(new uPlot(opts, [labels.map((_, i) => i), ...series.map((s) => s.values)] as uPlot.AlignedData, el));
}
