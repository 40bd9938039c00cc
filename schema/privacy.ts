import { z } from "@hono/zod-openapi";
import texts from "./data/consent-texts.json";

/**
 * Personal information (PIPL): consent records, "download my data", erasure, raw-event retention. The consent texts
 * are data (schema/data/consent-texts.json); a record names the version the buyer saw.
 */
export const CONSENT_PURPOSES = ["phone_sign_in", "marketing"] as const;
export const ConsentPurpose = z.enum(CONSENT_PURPOSES).openapi("ConsentPurpose");
export type ConsentPurpose = z.infer<typeof ConsentPurpose>;

type TextSet = { current: string; versions: Record<string, { zh: string; en: string }> };
export const CONSENT_TEXTS = texts as unknown as Record<ConsentPurpose, TextSet>;
export const currentConsentVersion = (p: ConsentPurpose) => CONSENT_TEXTS[p].current;

export const CONSENT_CHANNELS = ["web", "widget", "api"] as const;
export const ConsentChannel = z.enum(CONSENT_CHANNELS);

/** What the sign-in sends: the version of the text shown, agreed (required), and the optional marketing opt-in. */
export const SignInConsent = z
  .object({
    version: z.string().min(1).max(40).openapi({ description: "The phone_sign_in text version the form showed (GET /shop/{tenant}/consent-texts)" }),
    accepted: z.literal(true, { error: "the buyer must agree to the personal information rules to sign in" }),
    marketing: z.boolean().default(false).openapi({ description: "Opt in to marketing messages (the marketing text's current version)" }),
    channel: ConsentChannel.default("web"),
  })
  .openapi("SignInConsent");

export const ConsentText = z.object({ purpose: ConsentPurpose, version: z.string(), zh: z.string(), en: z.string(), required: z.boolean() });
export const ConsentTexts = z.object({ texts: z.array(ConsentText) }).openapi("ConsentTexts");

export const ConsentRecord = z
  .object({
    id: z.string(),
    purpose: ConsentPurpose,
    action: z.enum(["granted", "withdrawn"]),
    textVersion: z.string(),
    channel: ConsentChannel,
    at: z.string(),
  })
  .openapi("ConsentRecord");
export type ConsentRecord = z.infer<typeof ConsentRecord>;

export const MarketingConsentInput = z.object({ granted: z.boolean(), version: z.string().min(1).max(40).optional() }).strict().openapi("MarketingConsentInput");
export const MyConsents = z.object({ marketing: z.boolean(), records: z.array(ConsentRecord) }).openapi("MyConsents");

/** An erasure needs a typed confirmation, so a stray tap cannot erase an account. */
export const ErasureInput = z.object({ confirm: z.literal("ERASE", { error: 'type "ERASE" to confirm' }) }).strict().openapi("ErasureInput");
export const ErasureStatus = z.enum(["pending", "scrubbed", "completed"]);
export const ErasureRequest = z
  .object({ id: z.string(), status: ErasureStatus, requestedAt: z.string(), completedAt: z.string().nullable() })
  .openapi("ErasureRequest");
export type ErasureRequest = z.infer<typeof ErasureRequest>;

const Row = z.record(z.string(), z.unknown());
/** "Download my data": everything kept about the signed-in buyer in this store. */
export const MyDataExport = z
  .object({
    exportedAt: z.string(),
    store: z.object({ slug: z.string(), name: z.string() }),
    profile: z.object({
      id: z.string(), kind: z.enum(["phone", "guest"]), phoneMasked: z.string().nullable(), createdAt: z.string(),
      mergedGuestIds: z.array(z.string()), acquisition: Row,
    }),
    consents: z.array(ConsentRecord),
    orders: z.array(Row),
    vouchers: z.array(Row),
    claims: z.array(Row),
    shares: z.array(Row),
    complaints: z.array(Row),
    ratings: z.array(Row),
    events: z.array(Row),
    notes: z.array(z.string()),
  })
  .openapi("MyDataExport");
export type MyDataExport = z.infer<typeof MyDataExport>;

export const EventRetentionDays = z.number().int().min(1).max(3650);

// ---- worker → warehouse (signed bodies) ----------------------------------------------------------------------
const Ids = z.array(z.string().min(1).max(64)).min(1).max(50);
export const PrivacyUserEvents = z.object({ tenantId: z.string().min(1), userIds: Ids, limit: z.number().int().min(1).max(50_000).default(10_000) });
export type PrivacyUserEvents = z.infer<typeof PrivacyUserEvents>;
export const PrivacyRekey = z.object({ tenantId: z.string().min(1), userIds: Ids, deviceIds: z.array(z.string().min(1).max(64)).max(50).default([]), pseudonym: z.string().min(8).max(64) });
export type PrivacyRekey = z.infer<typeof PrivacyRekey>;
export const PrivacyRetention = z.object({ tenantId: z.string().min(1), days: EventRetentionDays });
export type PrivacyRetention = z.infer<typeof PrivacyRetention>;
