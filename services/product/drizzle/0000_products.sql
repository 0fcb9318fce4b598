CREATE TABLE "products" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"currency_code" text NOT NULL,
	"units" bigint NOT NULL,
	"nanos" integer NOT NULL,
	"create_time" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"update_time" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_currency_code_check" CHECK ("products"."currency_code" ~ '^[A-Z]{3}$'),
	CONSTRAINT "products_price_non_negative_check" CHECK ("products"."units" >= 0 and "products"."nanos" >= 0),
	CONSTRAINT "products_nanos_range_check" CHECK ("products"."nanos" <= 999999999)
);
--> statement-breakpoint
CREATE INDEX "products_create_time_id_idx" ON "products" USING btree ("create_time","id");