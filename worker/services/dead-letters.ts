import { ClaimWon } from "../../schema/claim-facts";
import { EventEnvelope } from "../../schema/events";
import { countPendingDeadLetters, listPendingDeadLetters, markReplayed } from "../db/dead-letters";
import { sendJournaled } from "../queue/journal";
import { sendClaimFacts } from "../queue/send";

/** How many dead-lettered events wait for this tenant (null: every tenant). */
export async function pendingDeadLetters(env: Pick<Env, "DB">, tenantId: string | null): Promise<{ pending: number }> {
  return { pending: await countPendingDeadLetters(env.DB, tenantId) };
}

/** An operator's replay: sends the tenant's (null: every tenant's) dead letters back through their queues. */
export async function replayDeadLetters(env: Env, tenantId: string | null): Promise<{ replayed: number; remaining: number }> {
  const rows = await listPendingDeadLetters(env.DB, tenantId);
  // Won-claim facts parked here go back to the claims Queue; everything else is an event.
  const bodies = rows.map((r) => JSON.parse(r.body) as unknown);
  const facts = bodies.flatMap((b) => {
    const f = ClaimWon.safeParse(b);
    return f.success ? [f.data] : [];
  });
  const events = bodies.filter((b) => !ClaimWon.safeParse(b).success).map((b) => EventEnvelope.parse(b));
  await sendClaimFacts(env, facts);
  await sendJournaled(env, events);
  await markReplayed(env.DB, rows.map((r) => r.event_id));
  return { replayed: rows.length, remaining: await countPendingDeadLetters(env.DB, tenantId) };
}
