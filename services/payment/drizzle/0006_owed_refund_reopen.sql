-- Owed refunds the rule before this migration may have closed too early. Until now a row without
-- charge_started_at counted as "no charge of the order can still capture", so a row written by the
-- Refund of a replica still running the code before charge_started_at existed (a rolling upgrade)
-- closed on the provider's first "nothing captured", though its charge may have been on its way and
-- captured after that answer. The service now judges such a row by coalesce(charge_started_at,
-- created_at) (src/owed-refund-store.ts); the rows closed as nothing captured in the last 7 days (far
-- longer than a charge's deadline and margin, and than any rolling upgrade) are owed again, due now,
-- with the same start. Safe for rows that were closed rightly: the provider dedupes refunds by the
-- order id and answers "nothing captured" again when it holds nothing, which closes the row again
-- (once its start is past the deadline and margin), and no money moves.
UPDATE "owed_refunds"
SET "done_at" = NULL,
    "nothing_captured" = false,
    "next_attempt_at" = now(),
    "charge_started_at" = coalesce("charge_started_at", "created_at")
WHERE "nothing_captured" AND "done_at" >= now() - interval '7 days';
--> statement-breakpoint
-- As in 0005, but a repeated Charge never moves last_started_at backwards. now() is the start of the
-- statement (the transaction), taken before the function waits for the order's lock: of two repeats
-- that wait for the lock together, the one that started first may get it last, and with a plain
-- "= now()" would set the earlier start over the later one.
CREATE OR REPLACE FUNCTION payment_begin_charge(p_order_id uuid, p_currency_code text, p_units bigint, p_nanos integer)
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
  ON CONFLICT (order_id) DO UPDATE SET last_started_at = greatest(charge_attempts.last_started_at, now());
  RETURN 'begun';
END
$$;
