/**
 * Campaign orchestration: D1 holds the definitions (for listing and pages), the CampaignCoordinator object the
 * frozen definition, seed and undistributed stock, and each CampaignShard its users and stock slice.
 */
import { campaignPageOf } from "../domain/campaign-pages";
import { CreateCampaignInput, ENTRY_DEFAULTS, type Campaign, type CampaignListItem, type CampaignPreview, type CampaignDefinition, type CampaignLive, type DrawExport, type DrawLogEntry, type UpdateCampaignInput, type UserStanding } from "../../schema/campaigns";
import { homeShard, lockedFieldsIn, phaseAt, publishedOdds, stockTotals } from "../domain/campaign-rules";
import { newId } from "../domain/crypto";
import { getCampaign, getCampaignPublic, insertCampaign, listCampaigns, setCampaignPaused, setCampaignSeed, updateCampaignDefinition, type CampaignRow } from "../db/campaigns";
import { OPEN_ELIGIBILITY } from "../../schema/eligibility";
import { checkEligibilityRefs, productEligibilityOf } from "./eligibility";
import { signPreview } from "../domain/campaign-preview";
import type { ClaimRequest, ShardReply } from "../durable/campaign-types";
import { shardName } from "../durable/campaign-types";
import { ApiError } from "../errors";
import { getProductRow, rowValidity, toProduct } from "../db/products";
import type { ErrorIssue } from "../../schema/errors";
import lint from "../../schema/data/campaign-lint.json";
import { BANNED_PHRASES, asListed, checkCopy, missingTerms, productCopy } from "./catalog";
import { lintCampaignCopy, lotteryDisclosureProblems, type CampaignLintRules } from "../domain/campaign-lint";

const LINT: CampaignLintRules = {
  banned: BANNED_PHRASES,
  promisedWin: lint.promisedWin,
  shareGating: lint.shareGating.map((p) => new RegExp(p)),
  extraChance: new RegExp(lint.extraChance),
  notRequired: new RegExp(lint.notRequired),
  allowed: lint.allowed,
};

/** The text a participant reads, by the field path an error names. */
function campaignCopy(def: CreateCampaignInput): Record<string, string> {
  const texts: Record<string, string> = { name: def.name, description: def.description };
  def.prizes.forEach((p, i) => (texts[`prizes.${i}.name`] = p.name));
  def.tasks.forEach((t, i) => (texts[`tasks.${i}.name`] = t.name));
  if (def.rules) texts.rules = def.rules;
  if (def.organiser?.name) texts["organiser.name"] = def.organiser.name;
  return texts;
}

const RULE_TEXT = { banned_phrase: "absolute claim", promised_win: "promises a win", share_gated: "makes sharing a condition" } as const;

/** 422 with one issue per problem: its field, the words, their position and a short excerpt. */
function checkCampaignCopy(def: CreateCampaignInput) {
  const findings = lintCampaignCopy(campaignCopy(def), LINT);
  if (!findings.length) return;
  throw new ApiError(422, "campaign_copy_refused", "The campaign's copy breaks advertising or promotion rules", findings.map((f) => ({
    path: `json.${f.field}`,
    message: `"${f.text}"${asListed(f)} at ${f.index} ${RULE_TEXT[f.rule]}: …${f.excerpt}…`,
    code: f.rule,
    position: f.index,
  })));
}

/** A lottery may not be created or changed before it starts without its odds, stock, validity and organiser. */
async function checkLotteryDisclosure(env: Env, tenantId: string, def: CreateCampaignInput) {
  if (def.kind !== "lottery") return;
  const validity = await Promise.all(def.prizes.map(async (p) => {
    if (!p.productId) return true; // reported as prize_without_product
    const row = await getProductRow(env.DB, tenantId, p.productId);
    return !row || rowValidity(row) !== null; // an unknown product is reported as unknown_product
  }));
  const problems = lotteryDisclosureProblems(def, validity);
  if (!problems.length) return;
  throw new ApiError(422, "lottery_disclosure_missing", "A lottery must publish its odds, prize stock, prize validity and organiser before it opens",
    problems.map((p) => ({ path: `json.${p.field}`, message: p.message, code: "lottery_disclosure_missing" })));
}

export function coordinatorOf(env: Pick<Env, "CAMPAIGN_COORDINATOR">, campaignId: string) {
  return env.CAMPAIGN_COORDINATOR.get(env.CAMPAIGN_COORDINATOR.idFromName(campaignId));
}

// idFromName hashes the name on every call; an id (unlike a stub) carries no I/O and is safe to keep per isolate.
const shardIds = new Map<string, DurableObjectId>();
export function shardOf(env: Pick<Env, "CAMPAIGN_SHARD">, campaignId: string, shard: number) {
  const name = shardName(campaignId, shard);
  let id = shardIds.get(name);
  if (!id) {
    if (shardIds.size >= 10_000) shardIds.clear();
    id = env.CAMPAIGN_SHARD.idFromName(name);
    shardIds.set(name, id);
  }
  return env.CAMPAIGN_SHARD.get(id);
}

export function toCampaign(row: CampaignRow, now = Date.now()): Campaign {
  const def = JSON.parse(row.definition) as CampaignDefinition;
  return {
    ...ENTRY_DEFAULTS, // definitions stored before entry rules existed
    ...def,
    display: def.display ?? "wheel", // definitions stored before the option existed
    organiser: def.organiser ?? null,
    rules: def.rules ?? "",
    eligibility: def.eligibility ?? OPEN_ELIGIBILITY, // definitions stored before eligibility existed
    id: row.id,
    tenantId: row.tenant_id,
    phase: phaseAt(def, now),
    odds: publishedOdds(def),
    seedCommitment: row.seed_commitment,
    seed: row.seed,
    createdAt: row.created_at,
    paused: row.paused_at != null,
  };
}

/**
 * Every product a campaign hands out must be this tenant's own, or a winner would hold a claim nobody can fulfil;
 * and every prize must name one (checked when prizes are set), or a winner is told "in your wallet" and gets nothing.
 */
async function checkProducts(env: Env, tenantId: string, def: CreateCampaignInput, prizesSet = true) {
  if (prizesSet) {
    const bare = def.prizes.flatMap((p, i) => (p.productId ? [] : [{ path: `json.prizes.${i}.productId`, message: `prize ${p.id} delivers nothing: pick a product`, code: "prize_without_product" }]));
    if (bare.length) throw new ApiError(422, "prize_without_product", "Every prize must name the product it delivers", bare);
  }
  const refs: { path: string; id: string }[] = [];
  if (def.productId) refs.push({ path: "json.productId", id: def.productId });
  def.prizes.forEach((p, i) => p.productId && refs.push({ path: `json.prizes.${i}.productId`, id: p.productId }));
  const missing = [];
  const dear = [];
  const banned: ErrorIssue[] = [];
  const withdrawn: ErrorIssue[] = [];
  const unclear: ErrorIssue[] = [];
  for (const r of refs) {
    const row = await getProductRow(env.DB, tenantId, r.id);
    if (!row) missing.push(r);
    else {
      // A draft may be a prize or an offer still being prepared; an archived product was withdrawn by the operator.
      if (row.status === "archived") withdrawn.push({ path: r.path, message: `product ${r.id} was withdrawn (archived): publish it again or pick another`, code: "product_archived" });
      if (r.path.startsWith("json.prizes.") && row.face_value_cents > lint.maxPrizeValueCents) dear.push({ ...r, cents: row.face_value_cents });
      // The campaign page shows the product's copy (name, scope, rules): a product need not be published to be a
      // prize or an offer, but its words are held to the same absolute-claim check a publish makes.
      // What the visitor gets must say how long it lasts and where it can be used (the campaign page shows both).
      // (A prize's validity is part of the lottery's disclosure, reported with the rest of it below.)
      for (const m of missingTerms(toProduct(row))) {
        if (!(m.code === "missing_validity" && r.path.startsWith("json.prizes."))) unclear.push({ path: r.path, message: `product ${r.id}: ${m.message}`, code: m.code });
      }
      for (const f of checkCopy(productCopy(toProduct(row)))) {
        banned.push({ path: r.path, message: `product ${r.id} ${f.field}: banned absolute claim “${f.text}”${asListed(f)} at ${f.index}: …${f.excerpt}…`, code: "banned_phrase" });
      }
    }
  }
  if (missing.length) {
    throw ApiError.badRequest("unknown_product", "The campaign names products this brand does not have",
      missing.map((m) => ({ path: m.path, message: `no product ${m.id}`, code: "unknown_product" })));
  }
  if (withdrawn.length) throw new ApiError(422, "product_archived", "The campaign names a product that was withdrawn from sale", withdrawn);
  if (unclear.length) throw new ApiError(422, "campaign_product_incomplete", "A product the campaign offers has no validity or scope of use; set them on the product first", unclear);
  if (banned.length) throw new ApiError(422, "campaign_product_copy_refused", "A product the campaign offers has copy a publish would refuse; change the product first", banned);
  // 反不正当竞争法 art. 10: the top prize of a lottery-style promotion is worth at most 50,000 yuan.
  if (dear.length) {
    throw new ApiError(422, "prize_above_legal_cap", `A prize may be worth at most ${lint.maxPrizeValueCents / 100} yuan`,
      dear.map((d) => ({ path: d.path, message: `prize worth ${d.cents / 100} yuan exceeds ${lint.maxPrizeValueCents / 100}`, code: "prize_above_legal_cap" })));
  }
}

/**
 * Fills in the brand's cost of what the campaign hands out where the operator gave none (schema/campaigns.ts
 * costCents): the claim and draw events carry it, once per unit, for ROI.
 */
async function withCosts<T extends CampaignDefinition>(env: Env, tenantId: string, def: T): Promise<T> {
  const product = async (id: string | null) => (id ? getProductRow(env.DB, tenantId, id) : null);
  let costCents = def.costCents ?? null;
  if (costCents === null && def.kind !== "lottery") {
    const p = await product(def.productId);
    if (p) costCents = def.kind === "coupon_claim" ? p.face_value_cents : Math.max(0, p.price_cents - def.priceCents);
  }
  const prizes = await Promise.all(def.prizes.map(async (z) => ({ ...z, costCents: z.costCents ?? (await product(z.productId))?.face_value_cents ?? null })));
  return { ...def, costCents, prizes };
}

// A lottery publishes its seed commitment and odds before opening; a flash sale or coupon claim may open at once.
function checkLotteryStartsAhead(def: CreateCampaignInput) {
  if (def.kind === "lottery" && Date.parse(def.startsAt) <= Date.now()) {
    throw ApiError.badRequest("starts_in_past", "A lottery's startsAt must be in the future: the seed commitment and odds are published before opening");
  }
}

export async function createCampaign(env: Env, tenantId: string, rawInput: CreateCampaignInput): Promise<Campaign> {
  checkLotteryStartsAhead(rawInput);
  checkCampaignCopy(rawInput);
  await checkProducts(env, tenantId, rawInput);
  await checkEligibilityRefs(env, tenantId, rawInput.eligibility);
  await checkLotteryDisclosure(env, tenantId, rawInput);
  const input = await withCosts(env, tenantId, rawInput);
  const id = newId("cmp");
  const res = await coordinatorOf(env, id).define(id, tenantId, input);
  if ("locked" in res) throw ApiError.conflict("campaign_started", "Campaign already started");
  await insertCampaign(env.DB, tenantId, id, input, res.commitment);
  return toCampaign((await getCampaign(env.DB, tenantId, id))!);
}

export async function loadCampaign(env: Env, tenantId: string, id: string): Promise<Campaign> {
  const row = await getCampaign(env.DB, tenantId, id);
  if (!row) throw ApiError.notFound("Campaign");
  return revealIfEnded(env, row);
}

export async function listTenantCampaigns(env: Env, tenantId: string): Promise<Campaign[]> {
  return Promise.all((await listCampaigns(env.DB, tenantId)).map((r) => revealIfEnded(env, r)));
}

/**
 * The list as pages show it: a live campaign whose stock (a flash sale's units, a lottery's prizes) is all gone is
 * sold out. Live stock comes from the coordinator's cached totals; when it cannot answer, the list still shows.
 */
export async function withStockState(env: Env, campaigns: Campaign[]): Promise<CampaignListItem[]> {
  return Promise.all(campaigns.map(async (c) => {
    if (c.phase !== "live") return { ...c, soldOut: false };
    const live = await coordinatorOf(env, c.id).live().catch(() => null);
    const left = Object.values(live?.remaining ?? stockTotals(c));
    return { ...c, soldOut: left.length > 0 && left.every((n) => n <= 0) };
  }));
}

/**
 * After the end the coordinator gives up the seed; it is copied to D1 once and published with the campaign. The seed
 * published is always the coordinator's (the one that drew), D1's copy only when the coordinator has none: a seed and
 * commitment written over the row together would otherwise be shown as "✔ the seed matches its commitment" while
 * the draws were made with another seed. The commitment stays D1's, the one the pages showed before the draw.
 */
async function revealIfEnded(env: Env, row: CampaignRow): Promise<Campaign> {
  const c = toCampaign(row);
  if (c.kind === "lottery" && c.phase === "ended") {
    let seed = revealed.get(row.id);
    if (!seed) {
      const r = await coordinatorOf(env, row.id).reveal();
      if ("seed" in r && r.seed) revealed.set(row.id, (seed = r.seed));
    }
    if (seed) {
      if (!row.seed) await setCampaignSeed(env.DB, row.tenant_id, row.id, seed);
      c.seed = seed;
    }
  }
  return c;
}
/** Seeds the coordinators gave up (they never change once revealed): a list of ended lotteries asks each object once. */
const revealed = new Map<string, string>();

/** Text edits always; anything touching stock, odds, limits or timing only before the start (the coordinator decides). */
export async function updateCampaign(env: Env, tenantId: string, id: string, patch: UpdateCampaignInput): Promise<Campaign> {
  const current = await loadCampaign(env, tenantId, id);
  // A new product or price without a new cost: the default cost is worked out again.
  const costReset = patch.costCents === undefined && (patch.productId !== undefined || patch.priceCents !== undefined) ? { costCents: null } : {};
  const parsed = CreateCampaignInput.safeParse({ ...definitionOf(current), ...costReset, ...patch });
  if (!parsed.success) throw ApiError.fromZod(parsed.error, "json");
  // Moving a scheduled lottery's start into the past would open it at once with a backdated start; once started,
  // startsAt is locked (the coordinator refuses it below).
  if (current.phase === "scheduled" && patch.startsAt !== undefined) checkLotteryStartsAhead(parsed.data);
  checkCampaignCopy(parsed.data);
  await checkProducts(env, tenantId, parsed.data, patch.prizes !== undefined);
  if (patch.eligibility) await checkEligibilityRefs(env, tenantId, parsed.data.eligibility);
  // A running or ended lottery cannot change what it published (the coordinator refuses), so only a scheduled one is held to it.
  if (current.phase === "scheduled") await checkLotteryDisclosure(env, tenantId, parsed.data);
  const merged = { data: await withCosts(env, tenantId, parsed.data) };
  const coord = coordinatorOf(env, id);
  if (lockedFieldsIn(patch).length) {
    const res = await coord.define(id, tenantId, merged.data);
    if ("locked" in res) {
      throw ApiError.conflict("campaign_started", `A started campaign cannot change ${lockedFieldsIn(patch).join(", ")}; only name and description`);
    }
  } else await coord.rename({ name: merged.data.name, description: merged.data.description });
  await updateCampaignDefinition(env.DB, tenantId, id, merged.data);
  return loadCampaign(env, tenantId, id);
}

function definitionOf(c: Campaign): CampaignDefinition {
  const { id: _id, tenantId: _t, phase: _p, odds: _o, prizeValidity: _pv, seedCommitment: _s, seed: _seed, createdAt: _c, paused: _pa, preview: _pr, tenantSlug: _ts, product: _pd, ...def } = c;
  return def;
}

/** Pause or resume: the coordinator tells every shard first (they decide claims), then D1 records it for pages. */
export async function setPaused(env: Env, tenantId: string, id: string, paused: boolean): Promise<Campaign> {
  const c = await loadCampaign(env, tenantId, id);
  if (c.phase === "ended") throw ApiError.conflict("campaign_ended", "An ended campaign cannot be paused or resumed");
  await coordinatorOf(env, id).setPaused(paused);
  await setCampaignPaused(env.DB, tenantId, id, paused);
  return loadCampaign(env, tenantId, id);
}

const DUPLICATE_LEAD_MS = 24 * 3_600_000;

/**
 * A new campaign with the same definition and a new id, paused so that it cannot open before the operator has
 * looked at it (a draft). Its window keeps the original's length; if the original has already started, the copy
 * starts a day from now.
 */
export async function duplicateCampaign(env: Env, tenantId: string, id: string): Promise<Campaign> {
  const source = definitionOf(await loadCampaign(env, tenantId, id));
  const length = Date.parse(source.endsAt) - Date.parse(source.startsAt);
  const starts = Math.max(Date.parse(source.startsAt), Date.now() + DUPLICATE_LEAD_MS);
  const name = `${source.name.slice(0, 74)}（副本）`;
  const input = CreateCampaignInput.parse({ ...source, name, startsAt: new Date(starts).toISOString(), endsAt: new Date(starts + length).toISOString() });
  const copy = await createCampaign(env, tenantId, input);
  return setPaused(env, tenantId, copy.id, true);
}

/** A signed, short-lived link to the public campaign page in preview mode (the page as it will look once live). */
export async function previewLink(env: Env, tenantId: string, id: string, origin: string): Promise<CampaignPreview> {
  const c = await loadCampaign(env, tenantId, id);
  const hit = await publicCampaign(env, c.id);
  const { token, expiresAt } = await signPreview(env.BUYER_SESSION_SECRET, c.id);
  const page = campaignPageOf(c.kind);
  const slug = encodeURIComponent(hit?.tenantSlug ?? "");
  return { url: `${origin}/campaigns/${page}/?t=${slug}&id=${encodeURIComponent(c.id)}&preview=${token}`, token, expiresAt };
}

export async function campaignLive(env: Env, c: Campaign): Promise<CampaignLive> {
  const live = await coordinatorOf(env, c.id).live();
  const total = stockTotals(c);
  return {
    campaignId: c.id,
    phase: phaseAt(c, Date.now()),
    serverTime: new Date().toISOString(),
    startsAt: c.startsAt,
    endsAt: c.endsAt,
    remaining: live?.remaining ?? total,
    total,
    heads: live?.heads ?? [],
    paused: c.paused,
  };
}

/** A campaign as its public page shows it: for a flash sale or coupon claim, with the product on offer. */
export async function publicCampaignView(env: Env, hit: PublicCampaign): Promise<Campaign> {
  const c = hit.campaign;
  const row = c.productId ? await getProductRow(env.DB, c.tenantId, c.productId) : null;
  const product = row
    ? {
        id: row.id, kind: row.kind, name: row.name, subtitle: row.subtitle, image: (JSON.parse(row.media) as { images?: string[] }).images?.[0] ?? null,
        priceCents: row.price_cents, faceValueCents: row.face_value_cents, validity: rowValidity(row), scope: row.scope_text, usageRules: row.usage_rules,
        eligibility: row.kind === "coupon" ? productEligibilityOf(row.config) : null,
      }
    : null;
  const prizeValidity = c.kind === "lottery"
    ? await Promise.all(c.prizes.map(async (p) => {
        const r = p.productId ? await getProductRow(env.DB, c.tenantId, p.productId) : null;
        return { prizeId: p.id, validity: r ? rowValidity(r) : null };
      }))
    : undefined;
  return { ...c, tenantSlug: hit.tenantSlug, product, ...(prizeValidity ? { prizeValidity } : {}) };
}

/** What a user has claimed and may still do today; before the start, a fresh user's allowance from the definition. */
export async function userStanding(env: Env, c: Campaign, userId: string): Promise<UserStanding> {
  const shard = homeShard(userId, c.shards);
  const s = await shardOf(env, c.id, shard).standing(c.id, shard, userId);
  return s ?? { userId, claimedTotal: 0, claimedToday: 0, drawsLeftToday: c.kind === "lottery" ? c.drawsPerDay : 0, wins: 0, claims: [] };
}

export function claimOnShard(env: Env, c: Pick<Campaign, "id" | "shards">, req: ClaimRequest): Promise<ShardReply> {
  const shard = homeShard(req.userId, c.shards);
  return shardOf(env, c.id, shard).claim(c.id, shard, req);
}

export async function exportDraws(env: Env, c: Campaign): Promise<DrawExport> {
  if (c.kind !== "lottery") throw ApiError.badRequest("not_a_lottery", "Only lotteries have a draw log");
  if (c.phase !== "ended" || !c.seed || !c.seedCommitment) throw ApiError.conflict("not_ended", "The seed and draw log are published after the campaign ends");
  const [terms, shards] = await Promise.all([
    coordinatorOf(env, c.id).drawTerms(),
    Promise.all(Array.from({ length: c.shards }, async (_, i) => ({ shard: i, entries: (await shardOf(env, c.id, i).drawLog()) as DrawLogEntry[] }))),
  ]);
  // Logs written before draw windows existed have no window entry and replay with v1.
  const windowed = shards.some((s) => s.entries.some((e) => e.window != null));
  // D1's row is what the pages showed; the coordinator's terms are what drew. Both go out, so an edit of the row
  // (odds, stock, commitment) fails verification instead of being replayed as the truth.
  const published = { seedCommitment: c.seedCommitment, prizes: c.prizes.map((p) => ({ id: p.id, stock: p.stock, weight: p.weight })), noPrizeWeight: c.noPrizeWeight };
  return {
    campaignId: c.id,
    algorithm: windowed || !shards.some((s) => s.entries.some((e) => e.type === "draw")) ? "hmac-sha256-v2" : "hmac-sha256-v1",
    seedCommitment: terms?.seedCommitment ?? c.seedCommitment,
    seed: terms?.seed ?? c.seed,
    prizes: terms?.prizes ?? c.prizes.map((p) => ({ id: p.id, name: p.name, stock: p.stock, weight: p.weight })),
    noPrizeWeight: terms?.noPrizeWeight ?? c.noPrizeWeight,
    shards,
    published,
  };
}

// ---- public (storefront) look-ups, cached per isolate: the hot path must not read D1 per claim ----------------

export interface PublicCampaign {
  campaign: Campaign;
  allowedOrigins: string[];
  tenantSlug: string;
  at: number;
}
interface CachedCampaign extends PublicCampaign {
  /** The campaign with its phase as of `viewUntil`, shared by every request until the next phase boundary. */
  view: PublicCampaign | null;
  viewUntil: number;
}
const cache = new Map<string, CachedCampaign>();
const TTL_MS = 5_000;

export async function publicCampaign(env: Env, id: string): Promise<PublicCampaign | null> {
  const hit = cache.get(id);
  const now = Date.now();
  const stale = !hit || now - hit.at >= TTL_MS || (hit.campaign.kind === "lottery" && !hit.campaign.seed && now >= Date.parse(hit.campaign.endsAt));
  if (!stale) {
    if (!hit.view || now >= hit.viewUntil) {
      const phase = phaseAt(hit.campaign, now);
      const starts = Date.parse(hit.campaign.startsAt);
      hit.viewUntil = phase === "scheduled" ? starts : phase === "live" ? Date.parse(hit.campaign.endsAt) : Infinity;
      hit.view = { campaign: { ...hit.campaign, phase }, allowedOrigins: hit.allowedOrigins, tenantSlug: hit.tenantSlug, at: hit.at };
    }
    return hit.view;
  }
  const row = await getCampaignPublic(env.DB, id);
  if (!row) return null;
  const entry: CachedCampaign = { campaign: await revealIfEnded(env, row), allowedOrigins: JSON.parse(row.allowed_origins) as string[], tenantSlug: row.tenant_slug, at: Date.now(), view: null, viewUntil: 0 };
  if (cache.size > 1000) cache.clear();
  cache.set(id, entry);
  return entry;
}

/**
 * Once a shard reports the stock gone everywhere, this isolate answers "sold out" without a round trip. The mark
 * lapses after a few seconds so that the next claim asks a shard again (stock that comes back is seen). It holds the
 * request ids of the claims the shards answered: a retry of one of them (a winner whose answer was lost) still goes
 * to its shard and gets the same result, not "sold out".
 */
const SOLD_OUT_TTL_MS = 5_000;
const soldOut = new Map<string, { until: number; answered: Set<string> }>();
export function isSoldOut(id: string, requestId: () => string | null | undefined, now = Date.now()): boolean {
  const mark = soldOut.get(id);
  if (mark === undefined) return false;
  if (now >= mark.until) {
    soldOut.delete(id);
    return false;
  }
  if (mark.answered.size === 0) return true;
  const retried = requestId();
  return !retried || !mark.answered.has(retried);
}
const marking = new Map<string, Promise<void>>();
export function markSoldOut(env: Pick<Env, "CAMPAIGN_SHARD">, c: Pick<Campaign, "id" | "shards">): Promise<void> {
  // The requests that learn of the sell-out together (a flash crowd) share one read of the shards.
  let p = marking.get(c.id);
  if (!p) {
    p = Promise.all(Array.from({ length: c.shards }, (_, i) => shardOf(env, c.id, i).claimedRequestIds()))
      .then((ids) => void soldOut.set(c.id, { until: Date.now() + SOLD_OUT_TTL_MS, answered: new Set(ids.flat()) }))
      .finally(() => marking.delete(c.id));
    marking.set(c.id, p);
  }
  return p;
}
