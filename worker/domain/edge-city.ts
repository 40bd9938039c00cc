/** The request's edge location (Cloudflare's `cf.city`): a city eligibility rule's fallback for a buyer who set none. */
export const edgeCityOf = (request: Request): string | null => {
  const city = (request as { cf?: { city?: unknown } }).cf?.city;
  return typeof city === "string" && city ? city.slice(0, 40) : null;
};
