/**
 * The lottery's stage: a turning wheel (大转盘) or a 3×3 grid whose light runs round the 8 outer cells (九宫格).
 * It only shows what the server decided: `land(key)` turns to the segment of the draw response's prize ("none" for
 * no prize). With prefers-reduced-motion it lands at once. Everything stays inside the stage's fixed square, and
 * every prize's whole name shows: wrapped and sized to its slice (lib/wheel-label.ts) or its cell. The wheel's labels
 * read within 45° of upright where the wheel rests, before the draw and after it (the prize under the pointer upright).
 */
import { em, labelTurn, oddsSize, wheelLabel } from "./wheel-label";

export interface Segment {
  key: string; // prize id, or "none"
  label: string;
  /** The published chance, e.g. "0.50%": every slice carries it, since the slices are drawn equal; a 九宫格 cell only
   * when it is the outcome's first (cells repeat outcomes). */
  odds?: string;
}

const SVG = "http://www.w3.org/2000/svg";
const FILLS = ["#fde68a", "#fed7aa", "#fecaca", "#fbcfe8", "#ddd6fe", "#bfdbfe", "#bbf7d0", "#fef08a"];
const reduced = () => matchMedia("(prefers-reduced-motion: reduce)").matches;

export interface Stage {
  land(key: string): Promise<void>;
}

export function mountStage(host: HTMLElement, display: "wheel" | "grid", segments: Segment[], centre = ""): Stage {
  host.dataset.display = display;
  host.classList.remove("skeleton");
  return display === "grid" ? grid(host, segments, centre) : wheel(host, segments);
}

function wheel(host: HTMLElement, segs: Segment[]): Stage {
  const step = 360 / segs.length;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "-100 -100 200 200");
  svg.setAttribute("role", "img");
  const at = (deg: number, r: number) => [r * Math.sin((deg * Math.PI) / 180), -r * Math.cos((deg * Math.PI) / 180)].map((v) => v.toFixed(2)).join(" ");
  segs.forEach((s, i) => {
    const g = document.createElementNS(SVG, "g");
    g.dataset.seg = s.key;
    const a0 = i * step - step / 2;
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", `M0 0 L${at(a0, 96)} A96 96 0 ${step > 180 ? 1 : 0} 1 ${at(a0 + step, 96)} Z`);
    path.setAttribute("fill", s.key === "none" ? "#e7e5e4" : FILLS[i % FILLS.length]!);
    path.setAttribute("stroke", "#fff");
    const text = document.createElementNS(SVG, "text");
    text.setAttribute("text-anchor", "middle");
    text.setAttribute("dominant-baseline", "central");
    g.append(path, text);
    svg.append(g);
  });
  const hub = document.createElementNS(SVG, "circle");
  hub.setAttribute("r", "14");
  hub.setAttribute("fill", "#c2410c");
  svg.append(hub);
  const pointer = document.createElement("span");
  pointer.className = "pointer";
  host.replaceChildren(svg, pointer);
  const texts = [...svg.querySelectorAll<SVGTextElement>("g[data-seg] text")];
  /** Every label turned to read upright where its slice will rest with the wheel turned `angle` degrees. */
  const orient = (angle: number) => segs.forEach((s, i) => drawLabel(texts[i]!, s, segs.length, i * step, labelTurn(i * step + angle)));
  let angle = 0;
  orient(angle);
  return {
    land(key) {
      const i = Math.max(0, segs.findIndex((s) => s.key === key));
      const jitter = (Math.random() - 0.5) * step * 0.6;
      const target = (((360 - i * step + jitter) % 360) + 360) % 360;
      angle = angle - (angle % 360) + 360 * 5 + target;
      // Turned for where the wheel will stop, before it turns: they blur as it spins, and read upright once it rests.
      orient(angle);
      svg.querySelector(".hit")?.classList.remove("hit");
      const done = () => {
        svg.querySelectorAll<SVGGElement>("g[data-seg]")[i]!.classList.add("hit");
        host.dataset.landed = key;
      };
      delete host.dataset.landed;
      if (reduced()) {
        svg.style.transition = "none";
        svg.style.transform = `rotate(${angle}deg)`;
        done();
        return Promise.resolve();
      }
      svg.style.transition = "";
      return new Promise((resolve) => {
        const end = () => {
          clearTimeout(guard);
          done();
          resolve();
        };
        // transitionend is lost when the tab is hidden mid-spin: the guard lands anyway.
        const guard = setTimeout(end, 4500);
        svg.addEventListener("transitionend", end, { once: true });
        requestAnimationFrame(() => (svg.style.transform = `rotate(${angle}deg)`));
      });
    },
  };
}

/**
 * A slice's label (the slice's middle at `deg` on the wheel), its whole name wrapped and sized to the slice
 * (lib/wheel-label.ts) and turned by `turn`: across the slice (0, or 180 turned over) or along its radius (±90).
 */
function drawLabel(text: SVGTextElement, s: Segment, slices: number, deg: number, turn: 0 | 180 | -90 | 90) {
  const { lines, size, radius } = wheelLabel(s.label, slices, !!s.odds, turn === 0 || turn === 180 ? "across" : "along");
  text.setAttribute("transform", `rotate(${deg}) translate(0 ${(-radius).toFixed(1)})${turn ? ` rotate(${turn})` : ""}`);
  text.setAttribute("font-size", String(size));
  const rows: [string, number, string][] = lines.map((l) => [l, size, ""]);
  if (s.odds) rows.push([s.odds, oddsSize(size), "odds"]);
  let y = -rows.reduce((h, r) => h + r[1] * 1.2, 0) / 2;
  text.replaceChildren(
    ...rows.map(([words, px, cls]) => {
      const line = document.createElementNS(SVG, "tspan");
      line.setAttribute("x", "0");
      line.setAttribute("y", (y + px * 0.6).toFixed(1));
      if (px !== size) line.setAttribute("font-size", String(px));
      if (cls) line.setAttribute("class", cls);
      line.textContent = words;
      y += px * 1.2;
      return line;
    }),
  );
}

/** Clockwise order of the 8 outer cells of a 3×3 grid (cell 4 is the middle). */
const RING = [0, 1, 2, 5, 8, 7, 6, 3];

function grid(host: HTMLElement, segs: Segment[], centre: string): Stage {
  const cells: HTMLElement[] = [];
  const box = document.createElement("div");
  box.className = "grid9";
  for (let i = 0; i < 9; i++) {
    const cell = document.createElement("div");
    cell.className = i === 4 ? "mid" : "cell";
    box.append(cell);
  }
  // Eight cells: the segments in turn, repeated when there are fewer (a lottery has at least two: a prize and none).
  RING.forEach((pos, n) => {
    const s = segs[n % segs.length]!;
    const cell = box.children[pos] as HTMLElement;
    cell.dataset.seg = s.key;
    // The whole name: the cell wraps it, smaller as it grows (the widths are the cell's, about 5 characters at .9rem).
    const name = Object.assign(document.createElement("span"), { textContent: s.label });
    const size = em(s.label);
    if (size > 5) name.className = size > 16 ? "longest" : size > 10 ? "longer" : "long";
    cell.append(name);
    // Its chance once, on its first cell: repeated on every cell, four 30.00% tiles read as 120%.
    if (s.odds && n < segs.length) cell.append(Object.assign(document.createElement("small"), { textContent: s.odds }));
    if (s.key === "none") cell.classList.add("none");
    cells.push(cell);
  });
  box.children[4]!.textContent = centre;
  host.replaceChildren(box);
  let pos = 0;
  const light = (n: number) => {
    box.querySelector(".lit")?.classList.remove("lit");
    cells[n]!.classList.add("lit");
  };
  return {
    land(key) {
      const targets = cells.map((c, n) => (c.dataset.seg === key ? n : -1)).filter((n) => n >= 0);
      delete host.dataset.landed;
      // More than 8 segments: a prize without a cell is told in words only.
      if (!targets.length) {
        box.querySelector(".lit")?.classList.remove("lit");
        host.dataset.landed = key;
        return Promise.resolve();
      }
      const target = targets[Math.floor(Math.random() * targets.length)]!;
      if (reduced()) {
        pos = target;
        light(pos);
        host.dataset.landed = key;
        return Promise.resolve();
      }
      const steps = 8 * 3 + ((target - pos + 8) % 8);
      return new Promise((resolve) => {
        let k = 0;
        const next = () => {
          pos = (pos + 1) % 8;
          light(pos);
          k++;
          if (k >= steps) {
            host.dataset.landed = key;
            return resolve();
          }
          // Slows down over the last lap, like the physical game.
          setTimeout(next, 50 + Math.max(0, k - (steps - 8)) * 40);
        };
        next();
      });
    },
  };
}
