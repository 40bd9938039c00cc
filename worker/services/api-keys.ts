import type { Scope } from "../../schema/tenancy";
import { generateApiKey, hashKeySecret } from "../domain/api-keys";
import { newId } from "../domain/crypto";
import { apiKeyIs, insertApiKey, listApiKeys, revokeApiKey, toApiKey } from "../db/api-keys";
import { eventRows } from "../queue/emit";

/** Creates a key and returns it with its full secret: the only time the secret exists outside the caller. */
export async function issueApiKey(env: Env, tenantId: string, name: string, scopes: Scope[], byKeyId: string | null) {
  const key = generateApiKey();
  const id = newId("key");
  const row = await insertApiKey(
    env.DB,
    { id, tenantId, name, prefix: key.prefix, secretHash: await hashKeySecret(env.API_KEY_PEPPER, key.secret), scopes: [...new Set(scopes)] },
    eventRows(env, [{ eventId: `evkc_${id}`, tenantId, type: "api_key_created", actor: { apiKeyId: byKeyId }, payload: { keyId: id, scopes: scopes.join(",") } }], apiKeyIs(tenantId, id)),
  );
  return { ...toApiKey(row), secret: key.full };
}

export const listKeys = (env: Env, tenantId: string) => listApiKeys(env.DB, tenantId);

/** Revokes a key of this tenant (null: no such key); api_key_revoked is recorded once, with the first revocation. */
export function revokeKey(env: Env, tenantId: string, keyId: string, byKeyId: string | null) {
  return revokeApiKey(
    env.DB,
    tenantId,
    keyId,
    eventRows(env, [{ eventId: `evkr_${keyId}`, tenantId, type: "api_key_revoked", actor: { apiKeyId: byKeyId }, payload: { keyId } }], apiKeyIs(tenantId, keyId, true)),
  );
}
