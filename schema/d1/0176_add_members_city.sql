-- A member's city (issue 19: segments and eligibility by city). Free text as the member or the brand gave it.
ALTER TABLE members ADD COLUMN city TEXT;
