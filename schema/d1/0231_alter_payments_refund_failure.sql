-- A refund the gateway refuses after its rights were recorded as given back (it answered "processing" first, as WeChat
-- Pay does, and refused later): failure_reason keeps the gateway's word for the console (退款失败), and follow_up
-- 'undo' marks what the refund took as owed back until one run gives it back ('undone:<run>'), in one guarded batch
-- (services/refund-reversal.ts). A crash between the refusal and that batch leaves 'undo' for the minute cron.
ALTER TABLE payments ADD COLUMN failure_reason TEXT;
CREATE INDEX payments_follow_up_undo ON payments(created_at) WHERE follow_up = 'undo';
