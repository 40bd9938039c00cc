import { foldHash, openSecret } from "../domain/secret-box";
import { foldKeyStmts, unfoldedKeys } from "../db/card-keys";

/**
 * Cron: gives keys stored without a fold hash (imported before it existed, or delivered by a supplier) theirs, a page
 * at a time, so a later import of the same key in other letter case is refused. Two such keys already in stock are
 * both kept (one may be sold already) and logged by id, never by key, for the operator to look at.
 */
export async function foldStoredKeys(env: Env, limit = 100): Promise<number> {
  const rows = await unfoldedKeys(env.DB, limit);
  if (!rows.length) return 0;
  const stmts: D1PreparedStatement[] = [];
  for (const r of rows) {
    // A row this key cannot open (sealed under a rotated key, or not a key at all) is marked, so it cannot hold up the rest.
    const secret = await openSecret(env.CARD_KEY_ENCRYPTION_KEY, r.secret_enc).catch(() => null);
    if (secret === null) console.warn(JSON.stringify({ at: "foldStoredKeys", problem: "unreadable_key", tenantId: r.tenant_id, keyId: r.id }));
    stmts.push(...foldKeyStmts(env.DB, r.id, secret === null ? `unreadable:${r.id}` : await foldHash(env.CARD_KEY_ENCRYPTION_KEY, r.tenant_id, secret)));
  }
  const results = await env.DB.batch(stmts);
  const clashes = rows.filter((_, i) => results[2 * i + 1]!.meta.changes > 0);
  for (const r of clashes) console.warn(JSON.stringify({ at: "foldStoredKeys", problem: "same_key_other_case_in_stock", tenantId: r.tenant_id, keyId: r.id }));
  return rows.length;
}
