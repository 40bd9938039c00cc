/**
 * The last steps of `npm start` once every service answers: the minute cron (the local ticker) starts before the demo
 * seed. A crash leaves event rows written with their change whose dispatch — after the response, or by the claims
 * pipeline — died with the worker or waits for the cron; only the cron sends those. The seed waits (up to 60 s) for the
 * outbox to drain before it refreshes recommendations, so with the ticker started after the seed, a restart after a
 * crash mid-traffic stalled a minute before `kaquan is running` (and before anything the crash left was picked up).
 */
export async function cronThenSeed<T>(tick: () => Promise<unknown>, everyMs: number, seed: () => Promise<T>): Promise<T> {
  void tick();
  setInterval(tick, everyMs).unref();
  return seed();
}
