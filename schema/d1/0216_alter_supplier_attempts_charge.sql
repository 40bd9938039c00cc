-- What a supplier says it charged for a delivery (its answer, status or callback carries costCents), and which order
-- line the attempt was for: reconciliation compares the supplier's statement with that charge (not with the cost
-- configured on the product today, which the operator edits and live prices move away from), and a bundle's
-- recharge line is the supplier's `${orderId}:${componentId}`, not the order's own product. Older rows have NULLs:
-- reconciliation falls back to the configured cost and the order's product for them.
ALTER TABLE supplier_attempts ADD COLUMN product_id TEXT;
ALTER TABLE supplier_attempts ADD COLUMN quantity INTEGER;
ALTER TABLE supplier_attempts ADD COLUMN charged_cents INTEGER;
ALTER TABLE supplier_orders ADD COLUMN quantity INTEGER;
