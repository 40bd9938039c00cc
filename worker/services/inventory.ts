import type { ImportKeysInput, StockCounts } from "../../schema/catalog";
import { newId } from "../domain/crypto";
import { foldHash, sealSecret, secretHash } from "../domain/secret-box";
import { isPrintableKey, KEY_ROW_MESSAGES } from "../domain/key-csv";
import { chunkInserted, chunkKeyId, insertCardKeyStmt, keysRepeated, type NewCardKey } from "../db/card-keys";
import { getProductRow, stockCounts } from "../db/products";
import { ApiError } from "../errors";
import { eventRows } from "../queue/emit";

export interface ImportOutcome {
  inserted: number;
  rejected: number;
  errors: { line: number; code: "duplicate_in_file" | "duplicate_in_stock" | "invalid"; message: string }[];
  stock: StockCounts;
}

/**
 * Adds one chunk of a key import. Keys are encrypted and hashed here; a duplicate (same keyed hash, or the same key in
 * other letter case: one key to the platforms that redeem it) is refused per row — "in file" when the earlier copy
 * came from the same batchId, "in stock" otherwise. Never logs a key.
 */
export async function importCardKeys(env: Env, tenantId: string, productId: string, input: ImportKeysInput, byKeyId: string): Promise<ImportOutcome> {
  const product = await getProductRow(env.DB, tenantId, productId);
  if (!product) throw ApiError.notFound("Product");
  if (product.kind !== "card_key") throw ApiError.conflict("not_card_key_product", "Only card_key products hold a key inventory");
  const batchId = input.batchId ?? newId("imp");
  const errors: ImportOutcome["errors"] = [];
  const chunk = newId("ck");
  const seen = new Map<string, { line: number; hash: string }>();
  const keys: NewCardKey[] = [];
  for (const row of input.rows) {
    const secret = row.secret.trim();
    if (secret.length < 4 || !isPrintableKey(secret)) {
      errors.push({ line: row.line, code: "invalid", message: KEY_ROW_MESSAGES.printable });
      continue;
    }
    const hash = await secretHash(env.CARD_KEY_ENCRYPTION_KEY, tenantId, secret);
    const fold = await foldHash(env.CARD_KEY_ENCRYPTION_KEY, tenantId, secret);
    const first = seen.get(fold);
    if (first !== undefined) {
      errors.push({ line: row.line, code: "duplicate_in_file", message: `same key as line ${first.line}${first.hash === hash ? "" : " in other letter case"}` });
      continue;
    }
    seen.set(fold, { line: row.line, hash });
    keys.push({ id: chunkKeyId(chunk, keys.length), secretEnc: await sealSecret(env.CARD_KEY_ENCRYPTION_KEY, secret), secretHash: hash, foldHash: fold, reusable: row.reusable, line: row.line });
  }
  let inserted = 0;
  if (keys.length) {
    // keys_imported in the same transaction as the keys, counting what this chunk really inserted (none: no event).
    const count = chunkInserted(tenantId, chunk);
    const event = eventRows(
      env,
      [{ eventId: `evki_${chunk}`, tenantId, type: "keys_imported", actor: { apiKeyId: byKeyId }, payload: { productId, batchId, inserted: 0, rejected: 0 } }],
      { sql: `(${count.sql}) > 0`, args: count.args },
      [
        { path: "$.payload.inserted", ...count },
        { path: "$.payload.rejected", sql: `? - (${count.sql})`, args: [errors.length + keys.length, ...count.args] },
      ],
    );
    const results = await env.DB.batch([...keys.map((k) => insertCardKeyStmt(env.DB, tenantId, productId, batchId, k)), ...event]);
    const dupes = keys.filter((_, i) => results[i]!.meta.changes === 0);
    inserted = keys.length - dupes.length;
    const stored: { secret_hash: string; fold_hash: string | null; batch_id: string | null }[] = [];
    for (let i = 0; i < dupes.length; i += 45) stored.push(...(await keysRepeated(env.DB, tenantId, dupes.slice(i, i + 45))));
    for (const k of dupes) {
      const same = stored.find((r) => r.secret_hash === k.secretHash) ?? stored.find((r) => r.fold_hash === k.foldHash);
      const cased = same && same.secret_hash !== k.secretHash ? " in other letter case" : "";
      errors.push(same?.batch_id === batchId
        ? { line: k.line, code: "duplicate_in_file", message: `the same key${cased} appears earlier in this import` }
        : { line: k.line, code: "duplicate_in_stock", message: `this key${cased} is already in stock` });
    }
  }
  errors.sort((a, b) => a.line - b.line);
  const stock = await stockCounts(env.DB, tenantId, product);
  return { inserted, rejected: errors.length, errors, stock };
}
