-- Acquisition of a buyer, recorded once when the buyer first exists (user_signed_up carries the same facts):
-- the campaign and share link that brought them, UTM parameters, the embedding origin (widget) and the anonymous
-- device id the pages used before the buyer existed (so earlier page views can be linked to them).
ALTER TABLE buyers ADD COLUMN acquisition_campaign_id TEXT;
ALTER TABLE buyers ADD COLUMN referrer_id TEXT;
ALTER TABLE buyers ADD COLUMN share_code TEXT;
ALTER TABLE buyers ADD COLUMN utm_source TEXT;
ALTER TABLE buyers ADD COLUMN utm_medium TEXT;
ALTER TABLE buyers ADD COLUMN utm_campaign TEXT;
ALTER TABLE buyers ADD COLUMN origin TEXT;
ALTER TABLE buyers ADD COLUMN device_id TEXT;
