/** What the analytics routes read from D1 (the metrics themselves come from the warehouse: services/warehouse.ts). */
import { tenantNames } from "../db/names";

/** Names of the tenant's campaigns, products and suppliers, for labelling metric rows. */
export const analyticsNames = (env: Pick<Env, "DB">, tenantId: string) => tenantNames(env.DB, tenantId);
