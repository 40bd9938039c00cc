import { ClaimWon } from "../../schema/claim-facts";
import { EventEnvelope, issueText } from "../../schema/events";
import { countPendingDeadLetters, deadLetterStatus, listPendingDeadLetters, markReplayed, noteStillInvalid, parkedBody } from "../db/dead-letters";
import { sendJournaled } from "../queue/journal";
import { sendClaimFacts } from "../queue/send";

/**
 * How many dead-lettered events wait for this tenant, and which of them fail their event contract (the warehouse
 * refused them; a replay will not send them until their producer is fixed), the latest with the failing field.
 */
export async function pendingDeadLetters(env: Pick<Env, "DB">, tenantId: string) {
  const status = await deadLetterStatus(env.DB, tenantId);
  return { ...status, latestInvalid: status.latestInvalid.map((r) => ({ eventId: r.event_id, type: r.type, deadAt: r.dead_at, error: r.last_error ?? "" })) };
}

/**
 * An operator's replay: sends the tenant's (null: every tenant's) dead letters back through their queues. A letter that
 * still fails its contract (the warehouse refused it) is not sent again: it stays pending with the failing field path,
 * counted in `invalid`, until its producer is fixed.
 */
export async function replayDeadLetters(env: Env, tenantId: string | null): Promise<{ replayed: number; invalid: number; remaining: number }> {
  const rows = await listPendingDeadLetters(env.DB, tenantId);
  const facts: ClaimWon[] = [];
  const events: EventEnvelope[] = [];
  const sent: string[] = [];
  const invalid: { eventId: string; error: string }[] = [];
  for (const r of rows) {
    const body = parkedBody(r);
    // Won-claim facts parked here go back to the claims Queue; everything else is an event.
    const fact = ClaimWon.safeParse(body);
    const event = fact.success ? null : EventEnvelope.safeParse(body);
    if (fact.success) facts.push(fact.data);
    else if (event!.success) events.push(event!.data);
    else {
      const issue = event!.error.issues[0];
      invalid.push({ eventId: r.event_id, error: `invalid payload: ${issue ? issueText(issue) : "not an event"}` });
      continue;
    }
    sent.push(r.event_id);
  }
  await sendClaimFacts(env, facts);
  await sendJournaled(env, events);
  await markReplayed(env.DB, sent);
  await noteStillInvalid(env.DB, invalid);
  return { replayed: sent.length, invalid: invalid.length, remaining: await countPendingDeadLetters(env.DB, tenantId) };
}

