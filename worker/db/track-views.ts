/**
 * Records a view under `key` unless the same key was seen less than `windowMs` ago; true when it counts.
 * One statement: the upsert only touches a row older than the window, and RETURNING says whether it did.
 */
export async function countViews(db: D1Database, keys: string[], now: number, windowMs: number): Promise<boolean[]> {
  if (!keys.length) return [];
  const results = await db.batch(keys.map((key) => db
    .prepare("INSERT INTO track_views (key, seen_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at WHERE excluded.seen_at - track_views.seen_at >= ? RETURNING seen_at")
    .bind(key, now, windowMs)));
  return results.map((r) => r.results.length > 0);
}

export function pruneViews(db: D1Database, before: number) {
  return db.prepare("DELETE FROM track_views WHERE seen_at < ?").bind(before).run();
}
