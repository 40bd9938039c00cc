const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** A caller's X-Request-Id when it is sane, otherwise a fresh one (the router, the claim fast path, the 503 guard). */
export function requestIdFrom(incoming: string | null | undefined): string {
  return incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
}
