import type { SupplierRow } from "../db/suppliers";
import { openSecret } from "../domain/secret-box";
import type { SupplierCredentials, SupplierScheme } from "../domain/supplier-sign";
import { httpSupplierClient, type SupplierClient } from "./client";

/** The supplier's own credentials (opened from their sealed form), else the development sandbox default. */
export async function supplierCredentials(env: Env, row: Pick<SupplierRow, "scheme" | "app_id" | "secret_enc">): Promise<SupplierCredentials> {
  if (!row.secret_enc) return { scheme: "kaquan_v1", appId: null, secret: env.SUPPLIER_SANDBOX_SECRET };
  return { scheme: row.scheme as SupplierScheme, appId: row.app_id, secret: await openSecret(env.CARD_KEY_ENCRYPTION_KEY, row.secret_enc) };
}

/** The route suppliers post outcomes to (routes/suppliers.ts). */
export const SUPPLIER_CALLBACK_PATH = "/api/v1/suppliers/callback/";
export const callbackUrlOf = (row: Pick<SupplierRow, "id" | "callback_origin">) => (row.callback_origin ? `${row.callback_origin}${SUPPLIER_CALLBACK_PATH}${row.id}` : null);

export type ClientFactory = (route: Pick<SupplierRow, "base_url" | "scheme" | "app_id" | "secret_enc">, env: Env) => Promise<SupplierClient>;
export const defaultFactory: ClientFactory = async (route, env) => httpSupplierClient(route.base_url, await supplierCredentials(env, route));

