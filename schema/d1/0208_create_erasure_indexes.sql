-- An erasure (and a buyer's data export) re-keys or reads the rows naming the buyer. In these tables no index led
-- with the person, so each statement read the brand's every row: every buyer twice (merged guests, referrals), every
-- delivery notice, share, rating, ticket, group seat and team, and risk event. Now each reads the person's rows.
-- The two on buyers hold only guests attached to a phone account and referred buyers.
CREATE INDEX buyers_merged ON buyers(tenant_id, merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX buyers_referrer ON buyers(tenant_id, referrer_id) WHERE referrer_id IS NOT NULL;
CREATE INDEX buyer_notices_buyer ON buyer_notices(tenant_id, buyer_id);
CREATE INDEX campaign_shares_person ON campaign_shares(tenant_id, sharer_id);
CREATE INDEX voucher_ratings_holder ON voucher_ratings(tenant_id, holder_id);
CREATE INDEX after_sale_buyer ON after_sale_tickets(tenant_id, buyer_id);
CREATE INDEX group_members_buyer ON group_members(tenant_id, buyer_id);
CREATE INDEX group_teams_leader ON group_teams(tenant_id, leader_id);
CREATE INDEX risk_events_subject ON risk_events(tenant_id, subject);
