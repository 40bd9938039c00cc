import type { DrawExport, DrawLogEntry, DrawReceipt } from "../../schema/campaigns";
import { createHash, createHmac } from "node:crypto";
import {
  drawProofMessage, entryPreimage, genesisPreimage, verifyDrawExportWith, windowBeaconPreimage, windowDrawProofMessage,
  type DrawCrypto, type Entrant, type VerifyReport,
} from "./draw-verify";

/**
 * Provably fair draws. proof = HMAC-SHA256(seed, `${userId}:${nonce}`); its first 52 bits pick a point on the
 * published weights (prizes in published order, then "no prize"). A prize whose stock is gone turns into
 * "no prize": odds of winning can only fall as stock runs out, never rise.
 * Synchronous (node:crypto) on purpose: a Durable Object decides and records a draw without an in between.
 */
export { landingPrize, pickPrize, type Entrant, type VerifyIssue, type VerifyIssueCode, type VerifyReport, type Weighted } from "./draw-verify";

export function sha256(data: string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** v1 (draws before draw windows): fixed by the seed alone, so whoever knows the seed knows every id's outcome. */
export function drawProof(seed: string, userId: string, nonce: number): string {
  return createHmac("sha256", seed).update(drawProofMessage(userId, nonce)).digest("hex");
}

/** v2: the draw also depends on its window's beacon, which exists only once the window has closed on its entrants. */
export function windowDrawProof(seed: string, beacon: string, userId: string, nonce: number): string {
  return createHmac("sha256", seed).update(windowDrawProofMessage(beacon, userId, nonce)).digest("hex");
}

/**
 * A window's beacon: the hash of everything that entered it (claim ids the shard drew at random, users, nonces)
 * chained to the log head at the close, so it is known only after the last entry and changes with any of them.
 */
export function windowBeacon(campaignId: string, shard: number, window: number, head: string, entrants: Entrant[]): string {
  return sha256(windowBeaconPreimage(campaignId, shard, window, head, entrants));
}

export function genesisHash(campaignId: string, shard: number): string {
  return sha256(genesisPreimage(campaignId, shard));
}

/** Hash of an entry chained to the previous one; every field but `hash` is covered (draw-verify.ts entryPreimage). */
export function entryHash(e: Omit<DrawLogEntry, "hash">): string {
  return sha256(entryPreimage(e));
}

const nodeCrypto: DrawCrypto = { sha256, hmacSha256: (key, data) => createHmac("sha256", key).update(data).digest("hex") };

/**
 * Recomputes every outcome, the stock replay and the hash chains of a published draw export. Offline. `receipts`:
 * draws (or live log heads) seen before the reveal; each must still be in the chain as it was, so a log cut short or
 * rewritten after the fact is caught by anyone who kept one. The check itself is draw-verify.ts verifyDrawExportWith,
 * which /verify/ runs in the browser too.
 */
export function verifyDrawExport(x: DrawExport, receipts: DrawReceipt[] = []): VerifyReport {
  return verifyDrawExportWith(x, receipts, nodeCrypto);
}
