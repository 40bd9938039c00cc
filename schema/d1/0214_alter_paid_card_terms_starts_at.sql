-- A paid card's term records where it started (now, or the end of the running term it renewed), so a refund takes
-- back exactly what that purchase granted (valid_until - starts_at), not the plan's months as the operator has them now.
ALTER TABLE paid_card_terms ADD COLUMN starts_at TEXT;
-- Terms bought before this migration: their start as the refund used to assume it (the plan's months now).
UPDATE paid_card_terms SET starts_at = strftime('%Y-%m-%dT%H:%M:%fZ', valid_until, '-' || (SELECT p.months FROM paid_card_plans p
  WHERE p.tenant_id = paid_card_terms.tenant_id AND p.product_id = paid_card_terms.product_id) || ' months')
WHERE starts_at IS NULL;
