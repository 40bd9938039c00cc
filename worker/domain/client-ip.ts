import { parseIp } from "./cidr";

/** The client's IP as Cloudflare (or a local proxy) reports it; "local" under plain wrangler dev. */
export const clientIpOf = (headers: Headers): string => headers.get("cf-connecting-ip") ?? headers.get("x-real-ip") ?? "local";

/**
 * The key a client is counted under by per-IP limits, caps and risk signals: an IPv4 address as it is (an
 * IPv4-mapped IPv6 one as its IPv4), an IPv6 address by its /64. A home line, a phone or a VPS is given a whole /64
 * and may send from any address in it, so counting single IPv6 addresses would let one client be 2^64 "IPs". Block
 * lists match the full address (a range there is the brand's choice); anything not an address ("local") is its own
 * key, and a key passed again is unchanged.
 */
export function ipKey(ip: string): string {
  const a = parseIp(ip);
  if (!a) return ip;
  if (a.v === 4) return [24n, 16n, 8n, 0n].map((s) => Number((a.n >> s) & 0xffn)).join(".");
  return `${[112n, 96n, 80n, 64n].map((s) => ((a.n >> s) & 0xffffn).toString(16)).join(":")}::/64`;
}
