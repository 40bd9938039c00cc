import { env, exports } from "cloudflare:workers";
import type { EventEnvelope } from "../../schema/events";
import { dispatchEvents } from "../../worker/queue/dispatch";

export const PLATFORM = "test-platform-token";

/**
 * Forwards whatever earlier requests left in the outbox (their after-response dispatches may still run) and waits for
 * the dispatch lease to be free, so a test starts from an empty outbox.
 */
export async function settleOutbox() {
  for (let i = 0; i < 100; i++) {
    await dispatchEvents(env);
    const busy = await env.DB.prepare("SELECT (SELECT count(*) FROM event_outbox WHERE sent_at IS NULL) AS pending, (SELECT until FROM event_dispatch_lease) AS until")
      .first<{ pending: number; until: number }>();
    if (!busy!.pending && busy!.until <= Date.now()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function api(path: string, init: RequestInit & { token?: string; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const res = await exports.default.fetch(`http://kaquan.test/api/v1${path}`, {
    ...init,
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
  const text = await res.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

let counter = 0;
/** A fresh tenant with an admin key; slugs are unique per test run. */
export async function createTenant(name = "Brand") {
  const slug = `t-${Date.now().toString(36)}-${(counter++).toString(36)}`;
  const tenant = await api("/platform/tenants", { method: "POST", token: PLATFORM, json: { slug, name } });
  if (tenant.status !== 201) throw new Error(`tenant: ${tenant.status} ${JSON.stringify(tenant.body)}`);
  const key = await api(`/platform/tenants/${tenant.body.id}/keys`, {
    method: "POST",
    token: PLATFORM,
    json: { name: "admin", scopes: ["admin"] },
  });
  if (key.status !== 201) throw new Error(`key: ${key.status} ${JSON.stringify(key.body)}`);
  return { tenant: tenant.body, adminKey: key.body.secret as string };
}

/**
 * The events a tenant's state changes recorded, in order (the transactional outbox): what reaches the Queue and the
 * warehouse. Read from the outbox rather than a Queue spy, since any running dispatcher may be the one to send them.
 */
export async function recordedEvents(tenantId: string): Promise<EventEnvelope[]> {
  const { results } = await env.DB.prepare("SELECT body FROM event_outbox WHERE tenant_id = ? ORDER BY seq").bind(tenantId).all<{ body: string }>();
  return results.map((r) => JSON.parse(r.body) as EventEnvelope);
}

/** An env whose isolate dies right after its first D1 batch: nothing after it reaches D1, as a SIGKILL would stop it. */
export function dyingAfterFirstBatch(): Env {
  let dead = false;
  const killed = () => new Error("isolate killed");
  const db = new Proxy(env.DB, {
    get(t, k) {
      if (k === "batch") return async (stmts: D1PreparedStatement[]) => {
        if (dead) throw killed();
        const r = await t.batch(stmts);
        dead = true;
        return r;
      };
      if (k === "prepare") return (sql: string) => {
        if (dead) throw killed();
        return t.prepare(sql);
      };
      const v = Reflect.get(t, k);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
  return new Proxy(env, { get: (t, k) => (k === "DB" ? db : Reflect.get(t, k)) }) as Env;
}

/**
 * An env whose D1 fails every batch at its last statement (the transaction rolls back as a whole): a crash or a
 * constraint error inside a change.
 */
export function failingEnv(): Env {
  const db = new Proxy(env.DB, {
    get(t, k) {
      if (k === "batch") return (stmts: D1PreparedStatement[]) => t.batch([...stmts, t.prepare("SELECT no_such_column FROM no_such_table")]);
      const v = Reflect.get(t, k);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
  return new Proxy(env, { get: (t, k) => (k === "DB" ? db : Reflect.get(t, k)) }) as Env;
}

export const recordedOfType = async (tenantId: string, type: string) => (await recordedEvents(tenantId)).filter((e) => e.type === type);
export const countRows = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())!.n;

/** A member row for tests of services built on membership (points, cards) without going through the join flow. */
export async function insertMember(tenantId: string, buyerId: string, over: { id?: string; cardNo?: string; pointsBalance?: number; growth?: number } = {}) {
  const id = over.id ?? `mbr_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await env.DB.prepare(
    "INSERT INTO members (id, tenant_id, buyer_id, card_no, growth, points_balance, joined_via) VALUES (?, ?, ?, ?, ?, ?, 'phone')",
  )
    .bind(id, tenantId, buyerId, over.cardNo ?? id.slice(-10), over.growth ?? 0, over.pointsBalance ?? 0)
    .run();
  return id;
}

/**
 * The newest sign-in code among a phone's sandbox SMS (GET …/dev/sms, newest first): another message to the same phone
 * (a delivery notice sent by the queue) may have landed after the code's.
 */
export function otpIn(messages: { body: string }[]): string {
  const code = messages.map((m) => /验证码是 (\d{6})/.exec(m.body)?.[1]).find(Boolean);
  if (!code) throw new Error(`no sign-in code among ${messages.length} SMS`);
  return code;
}
