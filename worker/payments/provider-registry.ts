import { isDevelopment } from "../domain/deploy-config";
import type { PaymentProvider } from "./provider";
import { sandboxProvider } from "./sandbox";

/** Providers by name. A real gateway is added here beside the sandbox, which exists in development only. */
export function providerFor(env: Env, name: string): PaymentProvider | null {
  return name === "sandbox" && isDevelopment(env) ? sandboxProvider(env) : null;
}
