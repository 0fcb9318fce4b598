CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"order_id" text NOT NULL,
	"kind" text NOT NULL,
	"message" text NOT NULL,
	"event_id" uuid NOT NULL,
	"create_time" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notifications_order_id_kind_unique" UNIQUE("order_id","kind"),
	CONSTRAINT "notifications_kind_check" CHECK ("notifications"."kind" in ('ORDER_CONFIRMED', 'ORDER_CANCELLED'))
);
--> statement-breakpoint
CREATE INDEX "notifications_user_create_time_id_idx" ON "notifications" USING btree ("user_id","create_time" DESC NULLS LAST,"id" DESC NULLS LAST);