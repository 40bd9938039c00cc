-- The operator's member search by the last 4 phone digits (手机尾号) read every member of the brand: the tail was
-- matched with `phone_masked LIKE '%1234'`, which no index serves. An index on the expression the search now uses
-- (`substr(phone_masked, -4) = ?`) finds the few buyers with that tail. Guests have no phone and no entry.
CREATE INDEX buyers_phone_tail ON buyers(tenant_id, substr(phone_masked, -4)) WHERE phone_masked IS NOT NULL;
