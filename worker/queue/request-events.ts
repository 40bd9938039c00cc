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
      if (--inFlight === 0) for (const wake of idle.splice(0)) wake();
      if (state.recorded) after();
    }
  });
}

// Requests of this isolate inside withRequestEvents right now, and who waits for there to be none.
let inFlight = 0;
const idle: (() => void)[] = [];

/** Resolves once no request of this isolate is inside withRequestEvents (at once when none is). */
export function noRequestsInFlight(): Promise<void> {
  return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
}

/** Marks the current request as having recorded events; false when not inside a request. */
export function noteRecorded(): boolean {
  const state = store.getStore();
  if (!state) return false;
  state.recorded = true;
  return true;
}
