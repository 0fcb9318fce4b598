CREATE TABLE "product_creation_keys" (
	"caller_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_digest" text NOT NULL,
	"product_id" uuid NOT NULL,
	"create_time" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "product_creation_keys_pkey" PRIMARY KEY("caller_id","idempotency_key")
);
--> statement-breakpoint
ALTER TABLE "product_creation_keys" ADD CONSTRAINT "product_creation_keys_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;