import type { Scope } from "../schema/tenancy";

export interface Principal {
  tenantId: string;
  apiKeyId: string;
  scopes: Scope[];
}

export interface Shopper {
  tenantId: string;
  slug: string;
  buyerId: string | null;
  buyerKind: "phone" | "guest" | null;
  /** shopperUnchecked only: the buyer the signed cookie names, not yet read (buyerId stays null there). */
  sessionBuyerId?: string | null;
}

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    /** Shop routes (/shop/{tenant}/...): the tenant by slug and the signed-in or guest buyer. */
    shopper: Shopper;
  };
};
