/**
 * When `npm start` ends a silent worker (wrangler dev) so that it starts again.
 *
 * wrangler dev runs two workerd processes: ours, and its own ProxyWorker, which holds our port and forwards each
 * request to ours. When either dies, Miniflare starts that runtime again and prints RUNTIME_RESTARTED. Ours comes back
 * answering within seconds (wrangler tells the proxy its new address). A restarted proxy does not: it keeps where to
 * forward in memory, and wrangler sends it that only when our worker reloads, so it accepts connections and holds
 * every request forever. Before this, `npm start` found out only by its general silence limit (90 s); now a worker
 * still silent `afterRuntimeCrashMs` after such a line is ended at once, and the restart path starts it again.
 */
export const RUNTIME_RESTARTED = /The Workers runtime crashed unexpectedly and is being restarted/;

export interface WorkerWatchOptions {
  /** Silence (no answer at all, not even a 503) after which the worker is ended. */
  silentLimitMs: number;
  /** After wrangler restarted a runtime, silence for this long ends the worker. */
  afterRuntimeCrashMs: number;
}

export class WorkerWatch {
  private silentSince: number | null = null;
  private runtimeCrashAt: number | null = null;

  constructor(private readonly opts: WorkerWatchOptions) {}

  /** A line of the worker's output: notes a runtime wrangler is restarting. */
  output(text: string, now: number) {
    if (RUNTIME_RESTARTED.test(text)) this.runtimeCrashAt = now;
  }

  /** The worker is being started (again): its start-up is not silence. */
  reset() {
    this.silentSince = null;
    this.runtimeCrashAt = null;
  }

  /**
   * The answer of a health probe (`ok`: any HTTP answer). Null, or the worker is to be ended now: `silentMs` it has
   * answered nothing for (since the crash line when `afterRuntimeCrash`).
   */
  probe(ok: boolean, now: number): { silentMs: number; afterRuntimeCrash: boolean } | null {
    if (ok) {
      this.reset();
      return null;
    }
    this.silentSince ??= now;
    const crashAt = this.runtimeCrashAt;
    const verdict = now - this.silentSince >= this.opts.silentLimitMs ? { silentMs: now - this.silentSince, afterRuntimeCrash: false }
      : crashAt !== null && now - crashAt >= this.opts.afterRuntimeCrashMs ? { silentMs: now - crashAt, afterRuntimeCrash: true }
      : null;
    if (verdict) this.reset();
    return verdict;
  }
}
