/** The client's IP as Cloudflare (or a local proxy) reports it; "local" under plain wrangler dev. */
export const clientIpOf = (headers: Headers): string => headers.get("cf-connecting-ip") ?? headers.get("x-real-ip") ?? "local";
