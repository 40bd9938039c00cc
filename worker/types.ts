import type { Scope } from "../schema/tenancy";

export interface Principal {
  tenantId: string;
  apiKeyId: string;
  scopes: Scope[];
}

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
  };
};
