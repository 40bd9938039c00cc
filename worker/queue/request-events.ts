import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Per request: whether it recorded outbox rows. The fetch handler (worker/index.ts) dispatches them with
 * ctx.waitUntil once the response is out; outside a request (cron, queue, objects) the recorder dispatches itself.
 */
const store = new AsyncLocalStorage<{ recorded: boolean }>();

/** Runs a request's work inside withRequestEvents (the fetch handler's, with its after-response dispatch). */
export type RequestScope = <T>(fn: () => Promise<T>) => Promise<T>;

export function withRequestEvents<T>(fn: () => Promise<T>, after: () => void): Promise<T> {
  const state = { recorded: false };
  inFlight++;
  return store.run(state, async () => {
    try {
      return await fn();
    } finally {
      inFlight--;
      if (state.recorded) after();
    }
  });
}

// Requests of this isolate inside withRequestEvents right now (a plain count: read, never awaited, by the dispatch).
let inFlight = 0;

/** How many requests of this isolate are being answered right now. */
export const requestsInFlight = () => inFlight;

/** Marks the current request as having recorded events; false when not inside a request. */
export function noteRecorded(): boolean {
  const state = store.getStore();
  if (!state) return false;
  state.recorded = true;
  return true;
}
