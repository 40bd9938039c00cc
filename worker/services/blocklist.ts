/**
 * Block lists: phones (keyed hash), devices and IP ranges, per tenant and platform-wide, with expiry and reason.
 * Enforced on sign-in (OTP send and verify), claims, orders and redemptions with 403 `blocked`. The lists a tenant
 * is subject to are cached per isolate for BLOCK_CACHE_MS, so the claim path pays no D1 read per claim; a change
 * made through this isolate applies at once, elsewhere within that time. Expiry is checked on every use.
 */
import type { BlockKind, CreateBlockInput } from "../../schema/risk";
import { Phone } from "../../schema/buyers";
import { activeBlocksFor, buyersOfPhones, deleteBlock, getBlock, listBlocks, toBlockEntry, updateBlock, upsertBlock, type BlockRow } from "../db/blocklist";
import { maskPhone } from "../domain/buyer-session";
import { formatCidr, inRange, parseCidr, parseIp, type IpRange } from "../domain/cidr";
import { newId } from "../domain/crypto";
import { ApiError } from "../errors";
import { phoneHash } from "./buyers";
import { HOT_CACHE_MS, tenantCache } from "./tenant-cache";

export const BLOCK_CACHE_MS = HOT_CACHE_MS;

interface Lists {
  ranges: { range: IpRange; row: BlockRow }[];
  devices: Map<string, BlockRow>;
  phones: Map<string, BlockRow>;
  /** The tenant's buyers behind blocked phones (and guests merged into them), to the phone's row. */
  buyers: Map<string, BlockRow>;
}

async function load(env: Env, tenantId: string): Promise<Lists> {
  const rows = await activeBlocksFor(env.DB, tenantId, new Date().toISOString());
  const lists: Lists = { ranges: [], devices: new Map(), phones: new Map(), buyers: new Map() };
  for (const row of rows) {
    if (row.kind === "ip") {
      const range = parseCidr(row.value);
      if (range) lists.ranges.push({ range, row });
    } else if (row.kind === "device") lists.devices.set(row.value, row);
    else lists.phones.set(row.value, row);
  }
  if (lists.phones.size) {
    // One row per phone hash can map to several buyers (a phone account and the guests it absorbed).
    for (const r of await buyersOfPhones(env.DB, tenantId, [...lists.phones.keys()])) lists.buyers.set(r.id, lists.phones.get(r.ph)!);
  }
  return lists;
}

const lists = tenantCache(BLOCK_CACHE_MS, load);
const listsFor = (env: Env, tenantId: string): Promise<Lists> => lists.get(env, tenantId);

/** Forget cached lists (a tenant's, or every tenant's after a platform-wide change). */
export const invalidateBlocks = (tenantId: string | null) => lists.invalidate(tenantId);

export interface BlockSubject {
  ip?: string | null;
  deviceId?: string | null;
  /** Keyed phone hash (sign-in), or a buyer whose phone is blocked (claims, orders, redemptions). */
  phoneHash?: string | null;
  buyerId?: string | null;
}

export interface BlockHit {
  reason: "blocked_ip" | "blocked_device" | "blocked_phone";
  entryId: string;
  scope: "tenant" | "platform";
}

const live = (row: BlockRow, now: string) => !row.expires_at || row.expires_at > now;
const hitOf = (reason: BlockHit["reason"], row: BlockRow): BlockHit => ({ reason, entryId: row.id, scope: row.tenant_id ? "tenant" : "platform" });

export async function blockedBy(env: Env, tenantId: string, s: BlockSubject): Promise<BlockHit | null> {
  const lists = await listsFor(env, tenantId);
  const now = new Date().toISOString();
  if (s.deviceId) {
    const row = lists.devices.get(s.deviceId);
    if (row && live(row, now)) return hitOf("blocked_device", row);
  }
  for (const key of [s.phoneHash && lists.phones.get(s.phoneHash), s.buyerId && lists.buyers.get(s.buyerId)]) {
    if (key && live(key, now)) return hitOf("blocked_phone", key);
  }
  if (s.ip && lists.ranges.length) {
    const ip = parseIp(s.ip);
    if (ip) for (const { range, row } of lists.ranges) if (live(row, now) && inRange(ip, range)) return hitOf("blocked_ip", row);
  }
  return null;
}

export function blockedError(hit: BlockHit): ApiError {
  const what = { blocked_ip: "network", blocked_device: "device", blocked_phone: "phone number" }[hit.reason];
  return new ApiError(403, "blocked", `This ${what} is blocked${hit.scope === "platform" ? " on the platform" : " by the brand"}`);
}

/** The value stored for an entry and the label shown for it: a phone's keyed hash and masked form, a canonical CIDR. */
async function stored(env: Env, kind: BlockKind, value: string): Promise<{ value: string; label: string }> {
  if (kind === "phone") {
    const phone = Phone.parse(value);
    return { value: await phoneHash(env, phone), label: maskPhone(phone) };
  }
  if (kind === "ip") {
    const cidr = formatCidr(parseCidr(value)!);
    return { value: cidr, label: cidr };
  }
  return { value, label: value };
}

export async function addBlock(env: Env, tenantId: string | null, input: CreateBlockInput) {
  const { value, label } = await stored(env, input.kind, input.value);
  const expiresAt = input.expiresAt ? new Date(input.expiresAt).toISOString() : null;
  const row = await upsertBlock(env.DB, { id: newId("blk"), tenantId, kind: input.kind, value, label, reason: input.reason, expiresAt });
  invalidateBlocks(tenantId);
  return toBlockEntry(row);
}

export async function blocks(env: Env, tenantId: string | null) {
  return (await listBlocks(env.DB, tenantId)).map((r) => toBlockEntry(r));
}

export async function block(env: Env, tenantId: string | null, id: string) {
  const row = await getBlock(env.DB, tenantId, id);
  if (!row) throw ApiError.notFound("Block entry");
  return toBlockEntry(row);
}

export async function changeBlock(env: Env, tenantId: string | null, id: string, p: { reason?: string; expiresAt?: string | null }) {
  const row = await updateBlock(env.DB, tenantId, id, { reason: p.reason, expiresAt: p.expiresAt ? new Date(p.expiresAt).toISOString() : p.expiresAt });
  if (!row) throw ApiError.notFound("Block entry");
  invalidateBlocks(tenantId);
  return toBlockEntry(row);
}

export async function removeBlock(env: Env, tenantId: string | null, id: string) {
  if (!(await deleteBlock(env.DB, tenantId, id))) throw ApiError.notFound("Block entry");
  invalidateBlocks(tenantId);
}
