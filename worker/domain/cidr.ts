/**
 * IP addresses and CIDR ranges, IPv4 and IPv6, as bigints. An IPv4-mapped IPv6 address (::ffff:1.2.3.4) is the
 * IPv4 address, so one v4 range covers a client whichever way the edge reports it.
 */
export interface IpRange {
  v: 4 | 6;
  net: bigint;
  prefix: number;
}

function parseV4(s: string): bigint | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseV6(s: string): bigint | null {
  let tail: bigint[] = [];
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (v4) {
    const n = parseV4(v4[1]!);
    if (n === null) return null;
    tail = [n >> 16n, n & 0xffffn];
    s = s.slice(0, -v4[1]!.length);
    if (s.endsWith(":") && !s.endsWith("::")) s = s.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const group = (h: string) => (h === "" ? [] : h.split(":"));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const words: bigint[] = [];
  for (const g of [...head, ...rest]) if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
  const fill = 8 - head.length - rest.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  for (const g of head) words.push(BigInt(parseInt(g, 16)));
  for (let i = 0; i < (halves.length === 2 ? fill : 0); i++) words.push(0n);
  for (const g of rest) words.push(BigInt(parseInt(g, 16)));
  words.push(...tail);
  return words.reduce((a, w) => (a << 16n) | w, 0n);
}

const MAPPED = 0xffffn << 32n;

/** An address as {v, n}; IPv4-mapped IPv6 becomes IPv4. null when it is not an address. */
export function parseIp(s: string): { v: 4 | 6; n: bigint } | null {
  const ip = s.trim().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (!ip.includes(":")) {
    const n = parseV4(ip);
    return n === null ? null : { v: 4, n };
  }
  const n = parseV6(ip);
  if (n === null) return null;
  return n >> 32n === 0xffffn && (n & ~0xffffffffn) === MAPPED ? { v: 4, n: n & 0xffffffffn } : { v: 6, n };
}

/** "10.1.0.0/16", "2001:db8::/32", or a single address (a /32 or /128). null when malformed. */
export function parseCidr(s: string): IpRange | null {
  const [addr, bits, extra] = s.trim().split("/");
  if (extra !== undefined || !addr) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const width = ip.v === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return null;
  let prefix = bits === undefined ? width : Number(bits);
  // An IPv4-mapped range written in IPv6 (::ffff:10.0.0.0/104) is the IPv4 range /8.
  if (ip.v === 4 && addr.includes(":") && bits !== undefined) prefix -= 96;
  if (prefix < 0 || prefix > width) return null;
  const shift = BigInt(width - prefix);
  return { v: ip.v, net: (ip.n >> shift) << shift, prefix };
}

export function inRange(ip: { v: 4 | 6; n: bigint }, r: IpRange): boolean {
  if (ip.v !== r.v) return false;
  const shift = BigInt((r.v === 4 ? 32 : 128) - r.prefix);
  return ip.n >> shift === r.net >> shift;
}

/** The canonical text of a range, as stored (the network address, not the address it was written with). */
export function formatCidr(r: IpRange): string {
  if (r.v === 4) {
    const n = r.net;
    return `${[24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".")}/${r.prefix}`;
  }
  const words = Array.from({ length: 8 }, (_, i) => ((r.net >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  return `${words.join(":").replace(/(^|:)0(:0)+(:|$)/, "::")}/${r.prefix}`;
}
