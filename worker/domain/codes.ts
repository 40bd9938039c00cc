// Human-typable codes for coupons: no 0/O/1/I/L, 16 symbols from 31 → ~79 bits, grouped for reading aloud.
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

export function couponCode(): string {
  let out = "";
  while (out.length < 16) {
    for (const b of crypto.getRandomValues(new Uint8Array(32))) {
      if (b < 248 && out.length < 16) out += ALPHABET[b % 31];
    }
  }
  return out.match(/.{4}/g)!.join("-");
}

/**
 * What a typed coupon code or card key may have been stored as, most likely first: the canonical coupon form
 * (XXXX-XXXX-XXXX-XXXX, upper case) when the input is one typed in lower case, with spaces or without dashes; the input
 * as typed (trimmed: imported card keys keep their own format and case); and upper case without spaces.
 */
export function typedCodeCandidates(raw: string): string[] {
  const typed = raw.trim();
  const upper = typed.toUpperCase().replace(/\s+/g, "");
  const compact = upper.replace(/[-‐‑–—_]/g, "");
  const canonical = compact.length === 16 && [...compact].every((c) => ALPHABET.includes(c)) ? compact.match(/.{4}/g)!.join("-") : null;
  return [...new Set([canonical, typed, upper].filter((c): c is string => !!c))];
}
