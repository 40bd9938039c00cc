import type { EventEnvelope } from "../../schema/events";
import type { ClaimWon } from "../../schema/claim-facts";

/**
 * Structured clone, the Queues default: the consumer is a Worker, so nothing needs JSON on the wire. With "json" the
 * local broker (Miniflare) parsed every message, re-serialised it to measure it and cloned it again to the consumer —
 * most of workerd's CPU per streamed event (CPU profile of bench:analytics); with "v8" it passes the bytes through.
 */
export const MESSAGE_FORMAT = "v8" as const;

const BUNDLE_BYTES = 96_000; // under the 128 KB per-message limit of Queues
const NOT_LATIN1 = /[^\u0000-\u00ff]/;

/** A Queue message's worth of envelopes and the same as a JSON array (what the journal stores). */
export interface Bundle {
  events: EventEnvelope[];
  json: string;
}

/**
 * Envelopes grouped into Queue messages of at most ~96 KB / 1,000 events each. A message's size is bounded by each
 * envelope's JSON length, doubled when it holds a character outside Latin-1 (V8 then stores the string at 2 bytes a
 * character; Chinese labels are).
 */
export function bundleEvents(events: EventEnvelope[]): Bundle[] {
  const out: Bundle[] = [];
  let bundle: EventEnvelope[] = [];
  let parts: string[] = [];
  let bytes = 0;
  const close = () => {
    out.push({ events: bundle, json: `[${parts.join(",")}]` });
    bundle = [];
    parts = [];
    bytes = 0;
  };
  for (const e of events) {
    const json = JSON.stringify(e);
    const size = (NOT_LATIN1.test(json) ? 2 * json.length : json.length) + 1;
    if (bundle.length && (bytes + size > BUNDLE_BYTES || bundle.length >= 1000)) close();
    bundle.push(e);
    parts.push(json);
    bytes += size;
  }
  if (bundle.length) close();
  return out;
}

/** Won-claim facts onto the claims Queue (one message each, so each is retried on its own); throws when refused. */
export async function sendClaimFacts(env: Pick<Env, "CLAIMS">, facts: ClaimWon[]): Promise<void> {
  for (let i = 0; i < facts.length; i += 100) {
    await env.CLAIMS.sendBatch(facts.slice(i, i + 100).map((body) => ({ body, contentType: MESSAGE_FORMAT })));
  }
}
