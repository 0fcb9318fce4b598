ALTER TABLE "charge_attempts" ADD COLUMN "last_started_at" timestamp (3) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "owed_refunds" ADD COLUMN "charge_started_at" timestamp (3) with time zone;--> statement-breakpoint
-- Owed refunds still pending when this migration runs: any charge of theirs began before the row was
-- recorded, so its creation time is a safe (late) start for "may it still be in flight".
UPDATE "owed_refunds" SET "charge_started_at" = "created_at" WHERE "done_at" IS NULL;
--> statement-breakpoint
-- As in 0004, but a repeated Charge moves the attempt's last_started_at: the latest Charge of the order
-- is the one that may be in flight longest (see charge_attempts.last_started_at in src/schema.ts).
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
  ON CONFLICT (order_id) DO UPDATE SET last_started_at = now();
  RETURN 'begun';
END
$$;
