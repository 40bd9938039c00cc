-- The right a ticket is about (an order of several keys: "the second one does not work"), named by the buyer or
-- left empty; 补发 replaces that one unless the operator picks another.
ALTER TABLE after_sale_tickets ADD COLUMN voucher_id TEXT;
