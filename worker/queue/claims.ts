import { ClaimWon, type ClaimSettlement } from "../../schema/claim-facts";
import { eventRetrySettings, retryDelaySeconds } from "../domain/backoff";
import { fulfilClaims } from "../services/campaign-fulfilment";
import { shardOf } from "../services/campaigns";

export const CLAIMS_QUEUE = "kaquan-claims";
/** Vouchers made at once per consumer invocation (a flash sale's orders of one product share one transaction). */
const FULFIL_PARALLEL = 4;

type Item = { msg: Message<unknown>; fact: ClaimWon };

/**
 * The claims consumer: turns each won-claim fact into its order (flash sale) or voucher (coupon claim, lottery prize),
 * keyed on the claim id, and settles the claim on its home shard, then acknowledges. Exactly once whatever repeats:
 * a fact whose claim is already settled is acknowledged without a call; createOrder / issueVoucher return the first
 * result for the same claim id, so a crash between the D1 write and the settlement or the ack only repeats an
 * idempotent call; settling is idempotent on the shard. A permanent refusal (a 4xx) is settled as failed — the shard
 * records claim_failed and, for flash sales and coupon claims, puts the unit back on sale in one transaction. Anything
 * else is retried with back-off, then dead-lettered (parked in D1 and sent back here by the cron).
 */
export async function consumeClaims(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const groups = new Map<string, Item[]>();
  for (const msg of batch.messages) {
    const parsed = ClaimWon.safeParse(msg.body);
    if (!parsed.success) {
      console.error(JSON.stringify({ at: "claims", problem: "malformed_fact", messageId: msg.id }));
      msg.ack();
      continue;
    }
    const key = `${parsed.data.campaignId}\u0000${parsed.data.shard}`;
    groups.set(key, [...(groups.get(key) ?? []), { msg, fact: parsed.data }]);
  }
  const { baseS, capS } = eventRetrySettings(env);
  const retry = (items: Item[], why: string) => {
    if (!items.length) return;
    console.warn(JSON.stringify({ at: "claims", problem: "retry", messages: items.length, detail: why.slice(0, 200) }));
    for (const { msg } of items) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts, baseS, capS) });
  };
  // One home shard after another: the batch size alone bounds the work in flight (FULFIL_PARALLEL at a time).
  for (const items of groups.values()) await fulfilGroup(env, items, retry);
}

/** The facts of one home shard: skip the settled, fulfil the rest, settle them in one RPC, then acknowledge. */
async function fulfilGroup(env: Env, items: Item[], retry: (items: Item[], why: string) => void): Promise<void> {
  const { campaignId, shard } = items[0]!.fact;
  const home = shardOf(env, campaignId, shard);
  const acked = new Set<Item>();
  const ack = (item: Item) => {
    item.msg.ack();
    acked.add(item);
  };
  try {
    const states = await home.claimStates(items.map((i) => i.fact.claimId));
    const todo: Item[] = [];
    for (const item of items) {
      if (states[item.fact.claimId] === "awaiting") todo.push(item);
      else {
        // Settled before (a duplicate or a replay); "unknown" would mean the shard lost its storage: say so.
        if (states[item.fact.claimId] === "unknown") console.error(JSON.stringify({ at: "claims", problem: "unknown_claim", claimId: item.fact.claimId, campaignId, shard }));
        ack(item);
      }
    }
    const settlements: { item: Item; s: ClaimSettlement }[] = [];
    const transient: Item[] = [];
    let reason = "";
    const outcomes = await fulfilClaims(env, todo.map((i) => i.fact), FULFIL_PARALLEL);
    for (const [at, out] of outcomes.entries()) {
      const item = todo[at]!;
      if (out.done) settlements.push({ item, s: { claimId: item.fact.claimId, ref: out.ref } });
      else if (out.permanent) settlements.push({ item, s: { claimId: item.fact.claimId, failure: { code: out.code ?? "unfulfillable", message: out.message ?? out.reason } } });
      else {
        transient.push(item);
        reason = out.reason;
      }
    }
    if (settlements.length) await home.settleClaims(settlements.map((x) => x.s));
    for (const { item } of settlements) ack(item);
    retry(transient, reason);
  } catch (e) {
    // The shard could not be reached (or settle failed): everything not yet acknowledged goes again.
    retry(items.filter((i) => !acked.has(i)), e instanceof Error ? e.message : String(e));
  }
}

