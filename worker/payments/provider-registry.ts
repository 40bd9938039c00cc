import type { PaymentProvider } from "./provider";
import { sandboxProvider } from "./sandbox";

/** Providers by name. A real gateway is added here beside the sandbox. */
export function providerFor(env: Env, name: string): PaymentProvider | null {
  return name === "sandbox" ? sandboxProvider(env) : null;
}
