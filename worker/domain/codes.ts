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
