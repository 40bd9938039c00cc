/**
 * The embeddable widget's cards of a brand's group buy, assist activity and invite programme (schema/growth-widget.ts),
 * read by slug: only what runs now (active, in its window; a group buy's product published); anything else,
 * or another brand's id, is 404. `url` is the page the card opens.
 */
import type { WidgetAssist, WidgetGroupBuy, WidgetInvite } from "../../schema/growth-widget";
import { getAssist } from "../db/assists";
import { getGroupBuy, teamsOfBuy } from "../db/groups";
import { getProgramme } from "../db/invites";
import { getProductRow } from "../db/products";
import { ApiError } from "../errors";
import { tenantBySlug } from "./tenants";

const live = (status: string, startsAt: string, endsAt: string, now: string) => status === "active" && startsAt <= now && now < endsAt;
const page = (path: string, slug: string, extra: string) => `${path}?t=${encodeURIComponent(slug)}&${extra}`;

async function tenantOf(env: Env, slug: string) {
  const tenant = await tenantBySlug(env, slug);
  if (!tenant) throw ApiError.notFound("Store");
  return tenant;
}

export async function widgetGroupBuy(env: Env, slug: string, id: string): Promise<WidgetGroupBuy> {
  const tenant = await tenantOf(env, slug);
  const now = new Date().toISOString();
  const g = await getGroupBuy(env.DB, tenant.id, id);
  const product = g ? await getProductRow(env.DB, tenant.id, g.product_id) : null;
  if (!g || !live(g.status, g.starts_at, g.ends_at, now) || product?.status !== "published") throw ApiError.notFound("Group buy");
  const openTeams = (await teamsOfBuy(env.DB, tenant.id, g.id)).filter((t) => t.status === "open" && t.expires_at > now).length;
  return {
    id: g.id, name: g.name, priceCents: g.price_cents, groupPriceCents: g.group_price_cents, size: g.team_size,
    teamMinutes: g.team_minutes, openTeams, autoComplete: !!g.auto_complete, endsAt: g.ends_at, url: page("/shop/group/", slug, `g=${encodeURIComponent(g.id)}`),
  };
}

export async function widgetAssist(env: Env, slug: string, id: string): Promise<WidgetAssist> {
  const tenant = await tenantOf(env, slug);
  const a = await getAssist(env.DB, tenant.id, id);
  if (!a || !live(a.status, a.starts_at, a.ends_at, new Date().toISOString())) throw ApiError.notFound("Assist");
  return {
    id: a.id, name: a.name, goal: a.goal, minutes: a.hours * 60, reward: a.product_name ?? a.name, endsAt: a.ends_at,
    url: page("/shop/assist/", slug, `a=${encodeURIComponent(a.id)}`),
  };
}

export async function widgetInvite(env: Env, slug: string, id: string): Promise<WidgetInvite> {
  const tenant = await tenantOf(env, slug);
  const g = await getProgramme(env.DB, tenant.id, id);
  if (!g?.active) throw ApiError.notFound("Invite programme");
  return {
    id: g.id, name: g.name, inviterReward: g.inviter_product_name ?? "", inviteeReward: g.invitee_product_name ?? "", endsAt: null,
    url: `/shop/member/?t=${encodeURIComponent(slug)}`,
  };
}

/** The brand's allowed origins, for the CORS of these routes. */
export const brandOrigins = async (env: Env, slug: string) => (await tenantBySlug(env, slug))?.allowedOrigins ?? null;
