/**
 * The warehouse's background jobs run one at a time: the funnel's compaction (funnel-compact.ts) and the person merges
 * (person-merges.ts) both move funnel rows, and a build that read rows a merge then moved would keep the old keys.
 */
let tail: Promise<unknown> = Promise.resolve();

function oneAtATime<T>(job: () => Promise<T>): Promise<T> {
  const run = tail.then(job, job);
  tail = run.catch(() => undefined);
  return run;
}

/**
 * Runs `job` now and every `everyMs`, one at a time with the other jobs. A tick while this job is still queued or
 * running is skipped (a slow job must not pile up runs that go on after it catches up), and after stop() nothing
 * queued runs: a stopped schedule does no more work.
 */
export function everyOneAtATime(job: () => Promise<void>, everyMs: number): { stop: () => void } {
  let pending = false;
  let stopped = false;
  const tick = () => {
    if (pending || stopped) return;
    pending = true;
    // The jobs report their own failures (status, log); one that throws anyway must not end the process unhandled.
    void oneAtATime(() => (stopped ? Promise.resolve() : job()))
      .catch((e) => console.error(`warehouse: a background job failed: ${e instanceof Error ? e.message : e}`))
      .finally(() => {
        pending = false;
      });
  };
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref?.();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
