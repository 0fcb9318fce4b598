-- The per-order lock and the two "lock, then look" steps of a Charge, as functions so that each is one
-- statement (one round trip) instead of a transaction of four or five (see src/store.ts).
--
-- Why functions and not one plain statement (a CTE, or INSERT ... SELECT ... WHERE NOT EXISTS): under
-- READ COMMITTED a statement reads with the snapshot taken when it starts, before it waits for the
-- lock. A Refund that holds the lock, voids the order and commits while the statement waits would stay
-- invisible to it, and the Charge would ask the provider for a voided order. A VOLATILE function takes
-- a fresh snapshot for each statement inside it, so what it reads after PERFORM pg_advisory_xact_lock
-- includes everything committed before the lock was granted, as the separate statements of a
-- transaction did. The lock is transaction-scoped: it is held until the calling transaction ends
-- (for a statement sent on its own, until that statement commits).

-- The key of an order's advisory lock: Charge (these functions) and Refund (store.ts) take the same.
CREATE FUNCTION payment_order_lock_key(order_id uuid) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT hashtextextended(order_id::text, 0) $$;
--> statement-breakpoint
-- Before a Charge asks the provider: 'paid' when the order has a payment (nothing recorded), 'voided'
-- when a Refund came first (nothing recorded, the provider must not be asked), else 'begun': the
-- charge attempt is recorded (a repeat keeps the first row) and commits with the statement.
CREATE FUNCTION payment_begin_charge(p_order_id uuid, p_currency_code text, p_units bigint, p_nanos integer)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(payment_order_lock_key(p_order_id));
  IF EXISTS (SELECT FROM payments WHERE order_id = p_order_id) THEN
    RETURN 'paid';
  END IF;
  IF EXISTS (SELECT FROM voided_orders WHERE order_id = p_order_id) THEN
    RETURN 'voided';
  END IF;
  INSERT INTO charge_attempts (order_id, currency_code, units, nanos)
  VALUES (p_order_id, p_currency_code, p_units, p_nanos)
  ON CONFLICT (order_id) DO NOTHING;
  RETURN 'begun';
END
$$;
--> statement-breakpoint
-- First statement of the transaction that records a charge's outcome: takes the order's lock (held to
-- the end of that transaction), deletes the order's charge attempt (its outcome is being recorded) and
-- answers whether the order is voided.
CREATE FUNCTION payment_settle_charge_attempt(p_order_id uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(payment_order_lock_key(p_order_id));
  DELETE FROM charge_attempts WHERE order_id = p_order_id;
  RETURN EXISTS (SELECT FROM voided_orders WHERE order_id = p_order_id);
END
$$;
