CREATE TYPE "public"."payment_status" AS ENUM('CAPTURED', 'DECLINED', 'REFUNDED');--> statement-breakpoint
CREATE TABLE "payments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"currency_code" text NOT NULL,
	"units" bigint NOT NULL,
	"nanos" integer NOT NULL,
	"status" "payment_status" NOT NULL,
	"decline_reason" text DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_order_id_key" UNIQUE("order_id"),
	CONSTRAINT "payments_currency_code_check" CHECK ("payments"."currency_code" ~ '^[A-Z]{3}$'),
	CONSTRAINT "payments_nanos_check" CHECK ("payments"."nanos" between -999999999 and 999999999)
);
--> statement-breakpoint
CREATE INDEX "payments_user_id_idx" ON "payments" USING btree ("user_id");