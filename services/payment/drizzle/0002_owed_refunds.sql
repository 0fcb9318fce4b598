CREATE TABLE "owed_refunds" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"currency_code" text NOT NULL,
	"units" bigint NOT NULL,
	"nanos" integer NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"done_at" timestamp (3) with time zone,
	CONSTRAINT "owed_refunds_currency_code_check" CHECK ("owed_refunds"."currency_code" ~ '^[A-Z]{3}$'),
	CONSTRAINT "owed_refunds_nanos_check" CHECK ("owed_refunds"."nanos" between -999999999 and 999999999)
);
--> statement-breakpoint
CREATE INDEX "owed_refunds_due_idx" ON "owed_refunds" USING btree ("next_attempt_at") WHERE "owed_refunds"."done_at" is null;