CREATE TABLE "charge_attempts" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"currency_code" text NOT NULL,
	"units" bigint NOT NULL,
	"nanos" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "charge_attempts_currency_code_check" CHECK ("charge_attempts"."currency_code" ~ '^[A-Z]{3}$'),
	CONSTRAINT "charge_attempts_nanos_check" CHECK ("charge_attempts"."nanos" between -999999999 and 999999999)
);
--> statement-breakpoint
ALTER TABLE "owed_refunds" ADD COLUMN "nothing_captured" boolean DEFAULT false NOT NULL;