-- 撤销核销: a store undoes a redemption made by mistake (worker/services/redemption-reversal.ts). The redemption row
-- stays (history, idempotent replay of the redeem) and is marked reversed: when, by which key, why, the
-- Idempotency-Key of the reversal (a retry answers the same reversal) and the reversal's id, which guards every other
-- statement of its batch. The voucher goes back to usable, so "one success per voucher" becomes one live success.
ALTER TABLE redemptions ADD COLUMN reversed_at TEXT;
ALTER TABLE redemptions ADD COLUMN reversed_by TEXT;
ALTER TABLE redemptions ADD COLUMN reversal_reason TEXT;
ALTER TABLE redemptions ADD COLUMN reversal_idempotency_key TEXT;
ALTER TABLE redemptions ADD COLUMN reversal_id TEXT;
DROP INDEX IF EXISTS redemptions_one_success;
CREATE UNIQUE INDEX redemptions_one_live_success ON redemptions(tenant_id, voucher_id) WHERE outcome = 'succeeded' AND reversed_at IS NULL;
-- How many of the voucher's redemptions were undone: a later redemption's event and ledger entry are keyed by it
-- (evrd_<voucher>_<n>, redemption:<voucher>:<n>), so they are not dropped as repeats of the first.
ALTER TABLE vouchers ADD COLUMN reversals INTEGER NOT NULL DEFAULT 0;
