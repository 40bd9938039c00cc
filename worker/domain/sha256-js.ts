/**
 * SHA-256 in plain JavaScript, for a page where WebCrypto is missing: crypto.subtle exists only in secure contexts,
 * so on a brand's page served over plain http the widget could not solve a challenge (every draw of a challenged
 * visitor failed). The constants are computed (fractional parts of the first primes' roots) to keep widget.js small.
 */
let K: number[] | null = null;
let H0: number[] = [];

export function sha256Bytes(msg: Uint8Array): Uint8Array {
  if (!K) {
    K = [];
    for (let n = 2; K.length < 64; n++) {
      let prime = true;
      for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
      if (!prime) continue;
      if (H0.length < 8) H0.push((n ** 0.5 * 2 ** 32) | 0);
      K.push((n ** (1 / 3) * 2 ** 32) | 0);
    }
  }
  const len = msg.length;
  const total = ((len + 72) >> 6) << 6;
  const b = new Uint8Array(total);
  b.set(msg);
  b[len] = 0x80;
  const bits = len * 8;
  const v = new DataView(b.buffer);
  v.setUint32(total - 8, Math.floor(bits / 2 ** 32));
  v.setUint32(total - 4, bits >>> 0);
  const h = H0.slice();
  const w = new Int32Array(64);
  const r = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < total; off += 64) {
    for (let t = 0; t < 64; t++) {
      if (t < 16) w[t] = v.getInt32(off + t * 4);
      else {
        const x = w[t - 15]!, y = w[t - 2]!;
        w[t] = ((r(x, 7) ^ r(x, 18) ^ (x >>> 3)) + w[t - 16]! + (r(y, 17) ^ r(y, 19) ^ (y >>> 10)) + w[t - 7]!) | 0;
      }
    }
    let [a, bb, c, d, e, f, g, hh] = h as [number, number, number, number, number, number, number, number];
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (r(e, 6) ^ r(e, 11) ^ r(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) | 0;
      const t2 = ((r(a, 2) ^ r(a, 13) ^ r(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
    }
    [a, bb, c, d, e, f, g, hh].forEach((x, i) => (h[i] = (h[i]! + x) | 0));
  }
  const out = new DataView(new ArrayBuffer(32));
  h.forEach((x, i) => out.setInt32(i * 4, x));
  return new Uint8Array(out.buffer);
}
