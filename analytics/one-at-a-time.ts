/**
 * The warehouse's background jobs run one at a time: the funnel's compaction (funnel-compact.ts) and the person merges
 * (person-merges.ts) both move funnel rows, and a build that read rows a merge then moved would keep the old keys.
 */
let tail: Promise<unknown> = Promise.resolve();

export function oneAtATime<T>(job: () => Promise<T>): Promise<T> {
  const run = tail.then(job, job);
  tail = run.catch(() => undefined);
  return run;
}
