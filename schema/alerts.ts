import { z } from "@hono/zod-openapi";

export const AlertSettings = z
  .object({
    emails: z.array(z.email().max(200)).max(10),
    phones: z.array(z.string().regex(/^1[3-9]\d{9}$/, "an 11-digit mainland mobile number")).max(10),
    quietMinutes: z.number().int().min(1).max(24 * 60)
      .openapi({ description: "The same alert (kind + subject) reaches people at most once per this many minutes" }),
  })
  .openapi("AlertSettings");
export type AlertSettings = z.infer<typeof AlertSettings>;

export const UpdateAlertSettingsInput = AlertSettings.partial().strict().openapi("UpdateAlertSettingsInput");

export const SandboxEmail = z
  .object({ id: z.string(), to: z.string(), subject: z.string(), body: z.string(), createdAt: z.string() })
  .openapi("SandboxEmail");
