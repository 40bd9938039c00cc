import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Per request: whether it recorded outbox rows. The fetch handler (worker/index.ts) dispatches them with
 * ctx.waitUntil once the response is out; outside a request (cron, queue, objects) the recorder dispatches itself.
 */
const store = new AsyncLocalStorage<{ recorded: boolean; keepAlive?: (work: Promise<unknown>) => void }>();

/** Runs a request's work inside withRequestEvents (the fetch handler's, with its after-response dispatch). */
export type RequestScope = <T>(fn: () => Promise<T>) => Promise<T>;

export function withRequestEvents<T>(fn: () => Promise<T>, after: () => void, keepAlive?: (work: Promise<unknown>) => void): Promise<T> {
  const state = { recorded: false, keepAlive };
  inFlight.set(state, Date.now());
  return store.run(state, async () => {
    try {
      return await fn();
    } finally {
      inFlight.delete(state);
      if (state.recorded) after();
    }
  });
}

// Requests of this isolate inside withRequestEvents right now, and since when (read, never awaited, by the dispatch).
const inFlight = new Map<object, number>();
/** A request canceled mid-way (its client went) never reaches its `finally`: after this long it no longer counts. */
const IN_FLIGHT_MAX_MS = 30_000;

/** How many requests of this isolate are being answered right now. */
export function requestsInFlight(): number {
  const stale = Date.now() - IN_FLIGHT_MAX_MS;
  for (const [state, since] of inFlight) if (since < stale) inFlight.delete(state);
  return inFlight.size;
}

/** Marks the current request as having recorded events; false when not inside a request. */
export function noteRecorded(): boolean {
  const state = store.getStore();
  if (!state) return false;
  state.recorded = true;
  return true;
}

/**
 * Work the current request starts that must finish after its response (ctx.waitUntil). False outside a request, or
 * in a scope without one: the caller then does the work itself.
 */
export function keepAliveInRequest(work: Promise<unknown>): boolean {
  const keep = store.getStore()?.keepAlive;
  if (!keep) return false;
  keep(work);
  return true;
}
