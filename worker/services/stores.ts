import type { CreateStoreInput, RedeemerKeySettings, Store, UpdateStoreInput } from "../../schema/redemptions";
import { getProductRow } from "../db/products";
import { apiKeyOfTenant, bindKeyToStore, getKeySettings, getStore, insertStore, listStores, reinstateKey, setProductStores, updateStore } from "../db/stores";
import { newId } from "../domain/crypto";
import { ApiError } from "../errors";

/** Stores where a brand's vouchers are redeemed, and which redeemer key and product may be used where. */
export const storesOf = async (db: D1Database, tenantId: string) => ({ stores: await listStores(db, tenantId) });

export const addStore = (db: D1Database, tenantId: string, input: CreateStoreInput): Promise<Store> =>
  insertStore(db, tenantId, newId("st"), {
    name: input.name, address: input.address, city: input.city ?? "", lat: input.lat ?? null, lng: input.lng ?? null, hours: input.hours ?? null,
  });

/** Changes a store's name, address, city, coordinates or hours; 404 for another tenant's store. */
export async function editStore(db: D1Database, tenantId: string, storeId: string, input: UpdateStoreInput): Promise<Store> {
  const store = await updateStore(db, tenantId, storeId, input);
  if (!store) throw ApiError.notFound("Store");
  return store;
}

export const keySettings = (db: D1Database, tenantId: string, apiKeyId: string): Promise<RedeemerKeySettings> => getKeySettings(db, tenantId, apiKeyId);

/** The calling redeemer key's settings with the store it is bound to. */
export async function keySettingsWithStore(db: D1Database, tenantId: string, apiKeyId: string) {
  const s = await getKeySettings(db, tenantId, apiKeyId);
  return { ...s, store: s.storeId ? await getStore(db, tenantId, s.storeId) : null };
}

async function assertKey(db: D1Database, tenantId: string, keyId: string) {
  if (!(await apiKeyOfTenant(db, tenantId, keyId))) throw ApiError.notFound("API key");
}

/** Binds a key to one of the tenant's stores (null unbinds); 404 for another tenant's key or store. */
export async function bindKey(db: D1Database, tenantId: string, keyId: string, storeId: string | null) {
  await assertKey(db, tenantId, keyId);
  if (storeId && !(await getStore(db, tenantId, storeId))) throw ApiError.notFound("Store");
  return bindKeyToStore(db, tenantId, keyId, storeId);
}

export async function reinstateRedeemerKey(db: D1Database, tenantId: string, keyId: string) {
  await assertKey(db, tenantId, keyId);
  return reinstateKey(db, tenantId, keyId);
}

/** Limits where a product's vouchers can be redeemed (empty = any store); 404 for an unknown product or store. */
export async function limitProductStores(db: D1Database, tenantId: string, productId: string, storeIds: string[]) {
  if (!(await getProductRow(db, tenantId, productId))) throw ApiError.notFound("Product");
  for (const s of storeIds) if (!(await getStore(db, tenantId, s))) throw ApiError.notFound(`Store ${s}`);
  await setProductStores(db, tenantId, productId, storeIds);
  return { storeIds };
}
