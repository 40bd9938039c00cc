/**
 * SSRF guard for every URL a brand gives us to call: webhook endpoints, its payment gateway, its suppliers.
 * Production: https only, and no host that names a loopback, private, link-local or otherwise internal address
 * (literal IPs, IPv6 forms that carry an IPv4 address, `localhost`, `.local`/`.internal`/`.localhost` names, with or
 * without the root's trailing dot, and names that spell a private IPv4 such as `10.0.0.1.nip.io`). Development also
 * accepts http to localhost, so a brand can point it at a receiver (or a sandbox) on its own machine. Webhooks are
 * checked when saved and again before every send. (Any other public name that resolves to a private address is
 * Cloudflare's to refuse: a Worker's fetch cannot reach private networks.)
 */
export function targetProblem(raw: string, development: boolean): string | null {
  const code = targetProblemCode(raw, development);
  return code && TARGET_PROBLEMS[code];
}

/** Why a target is refused, as a stable code (the issue code a 400 carries, so the console can say it in Chinese). */
export const TARGET_PROBLEMS = {
  not_a_url: "not a URL",
  credentials_in_url: "credentials in the URL are not allowed",
  https_required: "must be https",
  private_address: "private, loopback and internal addresses are refused",
} as const;
export type TargetProblem = keyof typeof TARGET_PROBLEMS;

export function targetProblemCode(raw: string, development: boolean): TargetProblem | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not_a_url";
  }
  if (url.username || url.password) return "credentials_in_url";
  const host = bareHost(url.hostname);
  const local = isLoopback(host);
  if (development && local && (url.protocol === "http:" || url.protocol === "https:")) return null;
  if (url.protocol !== "https:") return "https_required";
  if (local || isInternal(host)) return "private_address";
  return null;
}

// `localhost.` is `localhost`: the root's trailing dot names the same host.
const bareHost = (hostname: string) => hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.+$/, "");

/** A URL hostname (`URL.hostname`, brackets and all) that names this machine, a private network or an internal name. */
export function isPrivateHost(hostname: string): boolean {
  const host = bareHost(hostname);
  return isLoopback(host) || isInternal(host);
}

function ipv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1") return true;
  const v4 = ipv4(host) ?? mappedV4(host);
  return v4 !== null && v4[0] === 127;
}

function mappedV4(host: string): number[] | null {
  const m = /^::ffff:(.+)$/.exec(host);
  if (!m) return null;
  const dotted = ipv4(m[1]!);
  if (dotted) return dotted;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(m[1]!);
  if (!hex) return null;
  const hi = parseInt(hex[1]!, 16), lo = parseInt(hex[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255];
}

function isInternal(host: string): boolean {
  if (/\.(local|internal|lan|home|corp|intranet)$/.test(host) || !host.includes(".") && !host.includes(":")) return true;
  const v4 = ipv4(host) ?? mappedV4(host);
  if (v4) {
    const [a, b] = v4 as [number, number];
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 192 && b === 0) || (a === 198 && (b === 18 || b === 19)) || a >= 224;
  }
  if (host.includes(":")) {
    // Unspecified, loopback and every form that embeds an IPv4 (compatible ::a.b.c.d, mapped ::ffff:, NAT64 64:ff9b::,
    // 6to4 2002::, Teredo 2001:0::), unique-local, link-local, multicast, discard and documentation ranges.
    return host.startsWith("::") || /^64:ff9b:/.test(host) || /^2002:/.test(host) || /^2001:(0?:|db8:)/.test(host) ||
      /^f[cd][0-9a-f]{2}:/.test(host) || /^fe[89ab][0-9a-f]:/.test(host) || /^ff[0-9a-f]{2}:/.test(host) || /^100:(0:){0,3}:/.test(host);
  }
  // Wildcard DNS names that spell an address (10.0.0.1.nip.io, 127-0-0-1.sslip.io) resolve to it.
  for (const m of host.matchAll(/(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?=$|[.-])/g)) {
    const inner = `${m[1]}.${m[2]}.${m[3]}.${m[4]}`;
    if (inner !== host && ipv4(inner) && isInternal(inner)) return true;
  }
  // A decimal/hex/octal IPv4 in disguise (http://2130706433/, 0x7f.1): URL parsing normalises most; refuse the rest.
  return /^[0-9.x]+$/.test(host);
}
