// MD5 (RFC 1321) for the sorted-params supplier signature: Node's WebCrypto has no MD5, and the worker, the supplier
// sandbox and the unit tests must compute the same digest. Not for anything secret on its own.
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

export function md5Hex(input: string | Uint8Array): string {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const len = bytes.length;
  const blocks = ((len + 8) >>> 6) + 1;
  const w = new Int32Array(blocks * 16);
  for (let i = 0; i < len; i++) w[i >> 2]! |= bytes[i]! << ((i % 4) * 8);
  w[len >> 2]! |= 0x80 << ((len % 4) * 8);
  w[blocks * 16 - 2] = (len * 8) | 0;
  w[blocks * 16 - 1] = Math.floor(len / 0x20000000);
  let a0 = 0x67452301, b0 = 0xefcdab89 | 0, c0 = 0x98badcfe | 0, d0 = 0x10325476;
  for (let b = 0; b < blocks; b++) {
    let A = a0, B = b0, C = c0, D = d0;
    for (let i = 0; i < 64; i++) {
      let F: number, g: number;
      if (i < 16) [F, g] = [(B & C) | (~B & D), i];
      else if (i < 32) [F, g] = [(D & B) | (~D & C), (5 * i + 1) % 16];
      else if (i < 48) [F, g] = [B ^ C ^ D, (3 * i + 5) % 16];
      else [F, g] = [C ^ (B | ~D), (7 * i) % 16];
      const x = (A + F + K[i]! + w[b * 16 + g]!) | 0;
      const s = S[(i >> 4) * 4 + (i % 4)]!;
      A = D;
      D = C;
      C = B;
      B = (B + ((x << s) | (x >>> (32 - s)))) | 0;
    }
    a0 = (a0 + A) | 0;
    b0 = (b0 + B) | 0;
    c0 = (c0 + C) | 0;
    d0 = (d0 + D) | 0;
  }
  let out = "";
  for (const v of [a0, b0, c0, d0]) for (let j = 0; j < 4; j++) out += ((v >>> (j * 8)) & 0xff).toString(16).padStart(2, "0");
  return out;
}
