CREATE TYPE "public"."order_status" AS ENUM('PENDING', 'CONFIRMED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "public"."saga_step" AS ENUM('RESERVING', 'CHARGING', 'COMMITTING', 'COMPENSATING', 'DONE');--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"status" "order_status" NOT NULL,
	"status_reason" text DEFAULT '' NOT NULL,
	"items" jsonb NOT NULL,
	"currency_code" text NOT NULL,
	"total_units" bigint NOT NULL,
	"total_nanos" integer NOT NULL,
	"shipping_address" jsonb NOT NULL,
	"payment_id" text DEFAULT '' NOT NULL,
	"saga_step" "saga_step" NOT NULL,
	"saga_attempts" integer DEFAULT 0 NOT NULL,
	"card_token" text DEFAULT '' NOT NULL,
	"failure_reason" text DEFAULT '' NOT NULL,
	"lease_owner" text DEFAULT '' NOT NULL,
	"lease_expires_at" timestamp (3) with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "orders_user_idempotency_key" UNIQUE("user_id","idempotency_key")
);
--> statement-breakpoint
CREATE INDEX "orders_user_newest_idx" ON "orders" USING btree ("user_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "orders_resumable_idx" ON "orders" USING btree ("lease_expires_at") WHERE "orders"."saga_step" <> 'DONE';