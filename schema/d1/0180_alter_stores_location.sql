-- Nearby stores (issue 19 item 6): where a store is and when it is open.
-- lat/lng are WGS-84 degrees (what the browser's geolocation gives; map links say coordinate=wgs84); NULL = unknown.
ALTER TABLE stores ADD COLUMN lat REAL;
ALTER TABLE stores ADD COLUMN lng REAL;
ALTER TABLE stores ADD COLUMN city TEXT NOT NULL DEFAULT '';
-- JSON, schema/stores.ts OpeningHours: per weekday (mon..sun) a list of "HH:MM-HH:MM" spans in Asia/Shanghai time;
-- an end at or before its start runs past midnight. NULL = hours unknown (no open-now flag).
ALTER TABLE stores ADD COLUMN hours TEXT;
CREATE INDEX stores_city ON stores(tenant_id, city);
