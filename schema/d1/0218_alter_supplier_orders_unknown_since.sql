-- When the supplier first answered `unknown` for an order it had accepted (it gave us its reference), cleared by any
-- other answer: a supplier that keeps not knowing an order it accepted for DISOWNED_AFTER_S has lost it, and the line
-- is settled failed (`disowned`) — routed to the next supplier or refunded — instead of staying paid for good.
ALTER TABLE supplier_orders ADD COLUMN unknown_since TEXT;
