/**
 * Why an endpoint was disabled, in the console's words. The API keeps the server's English reason (a brand's code may
 * read it); the console says the ones the worker writes (worker/queue/webhooks.ts, worker/db/webhooks.ts) in Chinese
 * and shows anything else as it came.
 */
export function disabledReasonWords(reason: string, fmt: (iso: string) => string): [string, string] {
  const exhausted = /^(\d+) deliveries in a row ran out of retries$/.exec(reason);
  if (exhausted) return [`连续 ${exhausted[1]} 条投递重试用尽`, reason];
  const since = /^every attempt failed since (\S+)$/.exec(reason);
  if (since && !Number.isNaN(Date.parse(since[1]!))) return [`自 ${fmt(since[1]!)} 起每次投递都失败`, `every attempt failed since ${fmt(since[1]!)}`];
  if (reason === "disabled by an admin") return ["管理员已停用", reason];
  return [reason, reason];
}
