/** Stored-value card (储值卡) contracts: plans, the member's wallet, the ledger, store charges, the operator's views. */
import { z } from "@hono/zod-openapi";
import { text } from "./text";

const Cents = z.number().int();

export const PlanInput = z
  .object({
    name: text().trim().min(1).max(60).openapi({ example: "充100送50" }),
    payCents: z.number().int().min(100).max(10_000_000).openapi({ description: "What the member pays (principal credited)" }),
    bonusCents: z.number().int().min(0).max(10_000_000).default(0).openapi({ description: "Bonus credited on top (spent first, never refunded)" }),
    bonusValidDays: z.number().int().min(1).max(3650).nullable().default(null).openapi({ description: "Days a load's bonus stays spendable; null = no expiry" }),
  })
  .strict()
  .refine((p) => p.bonusCents <= p.payCents, { message: "bonus may not exceed the amount paid", path: ["bonusCents"], params: { reason: "bonus_above_paid" } })
  .openapi("StoredValuePlanInput");
export type PlanInput = z.infer<typeof PlanInput>;

export const Plan = z
  .object({ id: z.string(), name: z.string(), payCents: Cents, bonusCents: Cents, bonusValidDays: Cents.nullable(), creditCents: Cents, productId: z.string(), status: z.enum(["active", "archived"]), createdAt: z.string() })
  .openapi("StoredValuePlan");
export type Plan = z.infer<typeof Plan>;

export const Movement = z
  .object({
    id: z.string(),
    kind: z.enum(["loaded", "spent", "returned", "charged", "refunded", "expired"]),
    principalDeltaCents: Cents,
    bonusDeltaCents: Cents,
    principalAfterCents: Cents,
    bonusAfterCents: Cents,
    balanceAfterCents: Cents,
    sourceKind: z.string(),
    sourceId: z.string(),
    orderId: z.string().nullable(),
    storeId: z.string().nullable(),
    title: z.string().nullable().openapi({ description: "What it was for: the order's product, or the store charged at (null where not known)" }),
    createdAt: z.string(),
  })
  .openapi("StoredValueMovement");
export type Movement = z.infer<typeof Movement>;

export const Balance = z.object({ principalCents: Cents, bonusCents: Cents, balanceCents: Cents }).openapi("StoredValueBalance");
export type Balance = z.infer<typeof Balance>;

export const Wallet = z
  .object({ memberId: z.string(), cardNo: z.string(), balance: Balance, bonusExpiresAt: z.string().nullable(), plans: z.array(Plan), movements: z.array(Movement) })
  .openapi("StoredValueWallet");
export type Wallet = z.infer<typeof Wallet>;

export const MemberCode = z.object({ code: z.string(), expiresAt: z.string() }).openapi("StoredValueMemberCode");

export const StoreChargeInput = z
  .object({
    code: z.string().trim().min(10).max(120).openapi({ description: "The member's pay-at-store code (scanned or typed)" }),
    amountCents: z.number().int().min(1).max(10_000_000),
    storeId: z.string().min(1).max(64).optional().openapi({ description: "Required for a redeemer key not bound to a store" }),
  })
  .strict()
  .openapi("StoredValueChargeInput");
export type StoreChargeInput = z.infer<typeof StoreChargeInput>;

export const StoreCharge = z
  .object({ movementId: z.string(), memberId: z.string(), cardNo: z.string(), storeId: z.string(), amountCents: Cents, bonusCents: Cents, principalCents: Cents, balance: Balance, createdAt: z.string() })
  .openapi("StoredValueCharge");
export type StoreCharge = z.infer<typeof StoreCharge>;

export const AccountSummary = z
  .object({ accountId: z.string(), memberId: z.string(), cardNo: z.string(), balance: Balance, updatedAt: z.string() })
  .openapi("StoredValueAccount");

export const AccountsQuery = z.object({
  q: z.string().trim().min(1).max(64).optional().openapi({ description: "A card number or member id" }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const AccountDetail = z.object({ account: AccountSummary, movements: z.array(Movement) }).openapi("StoredValueAccountDetail");

export const Liability = z
  .object({ principalCents: Cents, bonusCents: Cents, totalCents: Cents, accounts: Cents })
  .openapi("StoredValueLiability");
