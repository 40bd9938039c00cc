-- A console part refund is reserved (its row and the rights it takes back) in one batch, then the gateway is asked,
-- then its follow-up batch records it (order_partially_refunded, voucher_refunded — the ledger's refund entries —
-- and the order closed once nothing is left). A crash between the two left the rights taken back and the money
-- returned by the cron with none of that recorded, or, on a refusal, the rights taken back for nothing.
-- follow_up: 'owed' from the reservation until a follow-up records it ('done:<run>', the run that did) or a refused
-- refund gives its rights back ('void'); NULL on every other payment. The cron finishes owed ones (services/partial-refunds.ts).
ALTER TABLE payments ADD COLUMN follow_up TEXT;
CREATE INDEX payments_follow_up_owed ON payments(created_at) WHERE follow_up = 'owed';
-- The part refund that took this right back (NULL for any other refund), so its follow-up finds exactly its rights.
ALTER TABLE vouchers ADD COLUMN refund_id TEXT;
