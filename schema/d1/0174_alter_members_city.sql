-- A member's city (issue 19 eligibility: campaigns and coupons for one city). Set by the member in the member
-- centre; NULL = unknown, and the claim path falls back to the request's edge location.
ALTER TABLE members ADD COLUMN city TEXT;
