ALTER TABLE "orders" ADD COLUMN "cart_claim" text;--> statement-breakpoint
CREATE UNIQUE INDEX "orders_user_cart_claim" ON "orders" USING btree ("user_id","cart_claim");