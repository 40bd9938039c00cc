-- Risk decisions on the claim path (issue 16 item 4), for the operator's per-campaign view. `weight` is how many
-- decisions the row stands for: allowed claims are sampled (one row per N), and refusals past a per-isolate rate
-- are folded into the next row written. reasons is a JSON array.
CREATE TABLE risk_decisions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  campaign_id TEXT,
  path TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('allowed', 'limited', 'challenged', 'blocked')),
  reasons TEXT NOT NULL DEFAULT '[]',
  score INTEGER NOT NULL DEFAULT 0,
  weight INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX risk_decisions_campaign ON risk_decisions(tenant_id, campaign_id, created_at);

-- Solved sandbox challenges: a nonce is spent once (a replay is refused); kept until the puzzle expired.
CREATE TABLE challenge_spent (
  nonce TEXT PRIMARY KEY,
  idempotency_key TEXT,
  expires_at INTEGER NOT NULL
);
