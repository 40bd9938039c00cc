-- The same key in other letter case (abcd-1234 / ABCD-1234) is one key to nearly every platform that redeems it: two
-- rows of it would sell one right twice. fold_hash is the keyed hash of the key upper-cased; a tenant holds each once.
-- Rows from before this migration (and keys a supplier delivered) are folded by the cron (services/key-fold.ts); a
-- pair already in stock gets 'clash:<id>' on its later row, so nothing else is refused for it and it is logged once.
ALTER TABLE card_keys ADD COLUMN fold_hash TEXT;
CREATE UNIQUE INDEX card_keys_fold ON card_keys(tenant_id, fold_hash) WHERE fold_hash IS NOT NULL;
CREATE INDEX card_keys_unfolded ON card_keys(created_at) WHERE fold_hash IS NULL;
