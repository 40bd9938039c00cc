import type { Scope } from "../../schema/tenancy";
import { generateApiKey, hashKeySecret } from "../domain/api-keys";
import { newId } from "../domain/crypto";
import { insertApiKey, toApiKey } from "../db/api-keys";
import { emitEvent } from "../queue/emit";

/** Creates a key and returns it with its full secret: the only time the secret exists outside the caller. */
export async function issueApiKey(env: Env, tenantId: string, name: string, scopes: Scope[], byKeyId: string | null) {
  const key = generateApiKey();
  const row = await insertApiKey(env.DB, {
    id: newId("key"),
    tenantId,
    name,
    prefix: key.prefix,
    secretHash: await hashKeySecret(env.API_KEY_PEPPER, key.secret),
    scopes: [...new Set(scopes)],
  });
  await emitEvent(env, {
    tenantId,
    type: "api_key_created",
    actor: { apiKeyId: byKeyId },
    payload: { keyId: row.id, scopes: scopes.join(",") },
  });
  return { ...toApiKey(row), secret: key.full };
}
