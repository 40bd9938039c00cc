-- Nothing is made for a guest once it is attached to an account (db/buyers.ts attachGuestStmts moves its orders and
-- vouchers in one batch). A write that read the holder before the attachment and lands after it (a reward whose
-- holder was read a few round trips earlier, a delivery of an order read before the sign-in) would otherwise leave an
-- order or a voucher on the guest id, which no session shows any more. These triggers hand such a row to the account
-- in the same statement: the guest's merged_into, followed three hops at most (guest → guest → phone, as
-- currentHolders). WITH is not allowed in a trigger, hence the nested lookups. One primary-key read per insert when the
-- buyer is not merged.
CREATE TRIGGER orders_follow_attachment AFTER INSERT ON orders
WHEN EXISTS (SELECT 1 FROM buyers WHERE tenant_id = NEW.tenant_id AND id = NEW.buyer_id AND merged_into IS NOT NULL)
BEGIN
  UPDATE orders SET buyer_id = COALESCE(
    (SELECT b3.merged_into FROM buyers b1
       JOIN buyers b2 ON b2.tenant_id = b1.tenant_id AND b2.id = b1.merged_into
       JOIN buyers b3 ON b3.tenant_id = b2.tenant_id AND b3.id = b2.merged_into
      WHERE b1.tenant_id = NEW.tenant_id AND b1.id = NEW.buyer_id),
    (SELECT b2.merged_into FROM buyers b1
       JOIN buyers b2 ON b2.tenant_id = b1.tenant_id AND b2.id = b1.merged_into
      WHERE b1.tenant_id = NEW.tenant_id AND b1.id = NEW.buyer_id),
    (SELECT merged_into FROM buyers WHERE tenant_id = NEW.tenant_id AND id = NEW.buyer_id))
  WHERE id = NEW.id;
END;
CREATE TRIGGER vouchers_follow_attachment AFTER INSERT ON vouchers
WHEN EXISTS (SELECT 1 FROM buyers WHERE tenant_id = NEW.tenant_id AND id = NEW.holder_id AND merged_into IS NOT NULL)
BEGIN
  UPDATE vouchers SET holder_id = COALESCE(
    (SELECT b3.merged_into FROM buyers b1
       JOIN buyers b2 ON b2.tenant_id = b1.tenant_id AND b2.id = b1.merged_into
       JOIN buyers b3 ON b3.tenant_id = b2.tenant_id AND b3.id = b2.merged_into
      WHERE b1.tenant_id = NEW.tenant_id AND b1.id = NEW.holder_id),
    (SELECT b2.merged_into FROM buyers b1
       JOIN buyers b2 ON b2.tenant_id = b1.tenant_id AND b2.id = b1.merged_into
      WHERE b1.tenant_id = NEW.tenant_id AND b1.id = NEW.holder_id),
    (SELECT merged_into FROM buyers WHERE tenant_id = NEW.tenant_id AND id = NEW.holder_id))
  WHERE id = NEW.id;
END;
