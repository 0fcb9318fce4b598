import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { FieldMaskSchema, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Money, MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import type { Product, ProductSchema } from "@shop/gen/shop/product/v1/product_pb";
import { seedDemoCatalog } from "../src/seed.js";
import type { ProductInput } from "../src/store.js";
import { startTestProductService, type TestProductService } from "./harness.js";

/** Asserts a call fails with `code` and, when given, a message mentioning `field`. */
async function rejectsWith(call: Promise<unknown>, code: Code, field?: string): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    const connectError = ConnectError.from(error);
    assert.equal(connectError.code, code, `expected ${Code[code]}, got ${Code[connectError.code]}`);
    if (field !== undefined) {
      assert.ok(
        connectError.rawMessage.includes(field),
        `message "${connectError.rawMessage}" should name ${field}`,
      );
    }
    return true;
  });
}

function price(units: bigint, nanos = 0, currencyCode = "USD"): Money {
  return create(MoneySchema, { currencyCode, units, nanos });
}

/** Listing order as the contract defines it: create_time, then id. */
function listingOrder(a: Product, b: Product): number {
  const ta = timestampDate(a.createTime!).getTime();
  const tb = timestampDate(b.createTime!).getTime();
  return ta !== tb ? ta - tb : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

describe("product service over gRPC", () => {
  let shop: TestProductService;
  before(async () => {
    shop = await startTestProductService();
  });
  after(async () => {
    await shop?.stop();
  });

  describe("create, get, update", () => {
    it("round-trips a product with a server-assigned UUID and timestamps", async () => {
      const { product: created } = await shop.client.createProduct({
        product: {
          id: "client-chosen-id-is-ignored",
          name: "  Trail Running Shoes  ",
          description: "Light shoes with a grippy outsole.",
          price: price(129n, 990_000_000),
        },
      });
      assert.ok(created);
      assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(created.name, "Trail Running Shoes", "name is stored trimmed");
      assert.ok(created.createTime && created.updateTime);
      assert.deepEqual(created.updateTime, created.createTime);

      const { product: fetched } = await shop.client.getProduct({ id: created.id });
      assert.deepEqual(fetched, created);

      const { product: updated } = await shop.client.updateProduct({
        product: { id: created.id, name: "Trail Running Shoes v2", price: price(99n, 500_000_000) },
        updateMask: create(FieldMaskSchema, { paths: ["price"] }),
      });
      assert.ok(updated);
      assert.equal(updated.name, "Trail Running Shoes", "fields outside the mask are kept");
      assert.equal(updated.price?.units, 99n);
      assert.equal(updated.price?.nanos, 500_000_000);
      assert.equal(updated.description, created.description);
      assert.deepEqual(updated.createTime, created.createTime);
      assert.ok(timestampDate(updated.updateTime!) >= timestampDate(created.updateTime!));

      const { product: refetched } = await shop.client.getProduct({ id: created.id.toUpperCase() });
      assert.deepEqual(refetched, updated, "ids are case-insensitive UUIDs");
    });

    it("with an empty mask updates exactly the fields set to non-default values", async () => {
      const { product: created } = await shop.client.createProduct({
        product: { name: "Wool Beanie", description: "Warm.", price: price(19n) },
      });
      const { product: updated } = await shop.client.updateProduct({
        product: { id: created!.id, description: "Warm and itch-free." },
      });
      assert.equal(updated?.description, "Warm and itch-free.");
      assert.equal(updated?.name, "Wool Beanie");
      assert.equal(updated?.price?.units, 19n);
    });

    it("can clear the description when the mask names it", async () => {
      const { product: created } = await shop.client.createProduct({
        product: { name: "Plain Mug", description: "To be removed", price: price(8n) },
      });
      const { product: updated } = await shop.client.updateProduct({
        product: { id: created!.id },
        updateMask: create(FieldMaskSchema, { paths: ["description"] }),
      });
      assert.equal(updated?.description, "");
      assert.equal((await shop.client.getProduct({ id: created!.id })).product?.description, "");
    });

    it("answers NOT_FOUND for a well-formed id that names no product", async () => {
      const unknown = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
      await rejectsWith(shop.client.getProduct({ id: unknown }), Code.NotFound, unknown);
      await rejectsWith(
        shop.client.updateProduct({ product: { id: unknown, name: "x" } }),
        Code.NotFound,
        unknown,
      );
    });
  });

  describe("validation", () => {
    const valid = { name: "Valid", description: "ok", price: price(1n) };
    const cases: Array<{ rule: string; product: MessageInitShape<typeof ProductSchema>; field: string }> = [
      { rule: "name required", product: { ...valid, name: "" }, field: "product.name" },
      { rule: "name blank after trimming", product: { ...valid, name: "   " }, field: "product.name" },
      {
        rule: "name over 200 characters",
        product: { ...valid, name: "n".repeat(201) },
        field: "product.name",
      },
      {
        rule: "description over 5000 characters",
        product: { ...valid, description: "d".repeat(5001) },
        field: "product.description",
      },
      { rule: "NUL in the name", product: { ...valid, name: "a\u0000b" }, field: "product.name" },
      { rule: "a line break in the name", product: { ...valid, name: "a\nb" }, field: "product.name" },
      {
        rule: "NUL in the description",
        product: { ...valid, description: "a\u0000b" },
        field: "product.description",
      },
      {
        rule: "a control character in the description",
        product: { ...valid, description: "bell\u0007" },
        field: "product.description",
      },
      { rule: "price required", product: { ...valid, price: undefined }, field: "product.price" },
      {
        rule: "currency code lower case",
        product: { ...valid, price: price(1n, 0, "usd") },
        field: "product.price.currency_code",
      },
      {
        rule: "currency code not three letters",
        product: { ...valid, price: price(1n, 0, "DOLLAR") },
        field: "product.price.currency_code",
      },
      {
        rule: "currency code that is not ISO 4217",
        product: { ...valid, price: price(1n, 0, "XYZ") },
        field: "product.price.currency_code",
      },
      {
        rule: "currency code missing",
        product: { ...valid, price: price(1n, 0, "") },
        field: "product.price.currency_code",
      },
      { rule: "negative units", product: { ...valid, price: price(-1n) }, field: "product.price.units" },
      {
        rule: "nanos above range",
        product: { ...valid, price: price(1n, 1_000_000_000) },
        field: "product.price.nanos",
      },
      {
        rule: "nanos below range",
        product: { ...valid, price: price(0n, -1_000_000_000) },
        field: "product.price.nanos",
      },
      {
        rule: "nanos with the opposite sign of units",
        product: { ...valid, price: price(5n, -1) },
        field: "product.price.nanos",
      },
      { rule: "negative amount", product: { ...valid, price: price(0n, -5) }, field: "product.price.nanos" },
    ];

    for (const { rule, product, field } of cases) {
      it(`CreateProduct rejects ${rule} with INVALID_ARGUMENT naming ${field}`, async () => {
        await rejectsWith(shop.client.createProduct({ product }), Code.InvalidArgument, field);
      });
    }

    it("accepts the boundaries: 200-character name, 5000-character description, zero price", async () => {
      const { product } = await shop.client.createProduct({
        product: { name: "é".repeat(200), description: "d".repeat(5000), price: price(0n, 0, "EUR") },
      });
      assert.equal(product?.name.length, 200);
      assert.equal(product?.price?.currencyCode, "EUR");
    });

    it("keeps tabs and line breaks in a description", async () => {
      const description = "Two lines:\r\n\tindented\nand a third";
      const { product } = await shop.client.createProduct({ product: { ...valid, description } });
      assert.equal(product?.description, description);
    });

    it("CreateProduct without a product is INVALID_ARGUMENT naming product", async () => {
      await rejectsWith(shop.client.createProduct({}), Code.InvalidArgument, "product");
    });

    it("GetProduct rejects a missing or malformed id with INVALID_ARGUMENT naming id", async () => {
      await rejectsWith(shop.client.getProduct({ id: "" }), Code.InvalidArgument, "id");
      await rejectsWith(shop.client.getProduct({ id: "not-a-uuid" }), Code.InvalidArgument, "id");
      await rejectsWith(
        shop.client.getProduct({ id: "'; drop table products; --" }),
        Code.InvalidArgument,
        "id",
      );
    });

    it("UpdateProduct validates the id, the mask and the masked fields", async () => {
      const { product } = await shop.client.createProduct({ product: valid });
      const id = product!.id;
      await rejectsWith(shop.client.updateProduct({}), Code.InvalidArgument, "product");
      await rejectsWith(
        shop.client.updateProduct({ product: { name: "x" } }),
        Code.InvalidArgument,
        "product.id",
      );
      await rejectsWith(
        shop.client.updateProduct({ product: { id: "123", name: "x" } }),
        Code.InvalidArgument,
        "product.id",
      );
      await rejectsWith(
        shop.client.updateProduct({
          product: { id, name: "x" },
          updateMask: create(FieldMaskSchema, { paths: ["create_time"] }),
        }),
        Code.InvalidArgument,
        "update_mask",
      );
      await rejectsWith(shop.client.updateProduct({ product: { id } }), Code.InvalidArgument, "update_mask");
      await rejectsWith(
        shop.client.updateProduct({
          product: { id },
          updateMask: create(FieldMaskSchema, { paths: ["name"] }),
        }),
        Code.InvalidArgument,
        "product.name",
      );
      await rejectsWith(
        shop.client.updateProduct({
          product: { id, price: price(1n, 0, "us") },
          updateMask: create(FieldMaskSchema, { paths: ["price"] }),
        }),
        Code.InvalidArgument,
        "product.price.currency_code",
      );
      await rejectsWith(
        shop.client.updateProduct({
          product: { id, description: "a\u0000b" },
          updateMask: create(FieldMaskSchema, { paths: ["description"] }),
        }),
        Code.InvalidArgument,
        "product.description",
      );
      await rejectsWith(
        shop.client.updateProduct({ product: { id, name: "a\u0000b" } }),
        Code.InvalidArgument,
        "product.name",
      );
      const unchanged = await shop.client.getProduct({ id });
      assert.equal(unchanged.product?.name, "Valid", "a rejected update changes nothing");
    });

    it("ListProducts rejects a negative page_size, a long query, a NUL in the query and a foreign page_token", async () => {
      await rejectsWith(shop.client.listProducts({ pageSize: -1 }), Code.InvalidArgument, "page_size");
      await rejectsWith(shop.client.listProducts({ query: "q".repeat(201) }), Code.InvalidArgument, "query");
      await rejectsWith(shop.client.listProducts({ query: "\u0000" }), Code.InvalidArgument, "query");
      await rejectsWith(shop.client.listProducts({ query: "lamp\u0000" }), Code.InvalidArgument, "query");
      await rejectsWith(
        shop.client.listProducts({ pageToken: "garbage" }),
        Code.InvalidArgument,
        "page_token",
      );
    });
  });
});

describe("ListProducts paging and search", () => {
  let shop: TestProductService;
  before(async () => {
    shop = await startTestProductService();
  });
  after(async () => {
    await shop?.stop();
  });

  async function listAll(query: string, pageSize: number, between?: (page: number) => Promise<void>) {
    const seen: Product[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const response = await shop.client.listProducts({ pageSize, pageToken, query });
      assert.ok(response.products.length <= pageSize);
      seen.push(...response.products);
      pageToken = response.nextPageToken;
      pages++;
      if (pageToken !== "") await between?.(pages);
      assert.ok(pages < 100, "paging terminates");
    } while (pageToken !== "");
    return { seen, pages };
  }

  it("pages through 45 products exactly once each, in a stable order, while products are added", async () => {
    // 25 rows in one transaction share a create_time, so the id tie-break is exercised for real.
    const batch: ProductInput[] = Array.from({ length: 25 }, (_, i) => ({
      name: `Batch item ${i}`,
      description: "inserted together",
      currencyCode: "USD",
      units: BigInt(i + 1),
      nanos: 0,
    }));
    assert.equal(await shop.service.store.insertIfEmpty(batch), 25);
    for (let i = 0; i < 20; i++) {
      await shop.client.createProduct({ product: { name: `Single item ${i}`, price: price(BigInt(i)) } });
    }
    const before = (await listAll("", 100)).seen;
    assert.equal(before.length, 45);
    const expectedOrder = [...before].sort(listingOrder).map((p) => p.id);
    assert.deepEqual(
      before.map((p) => p.id),
      expectedOrder,
      "listing is ordered by create_time then id",
    );

    const added: string[] = [];
    const { seen, pages } = await listAll("", 20, async (page) => {
      const { product } = await shop.client.createProduct({
        product: { name: `Added after page ${page}`, price: price(1n) },
      });
      added.push(product!.id);
    });
    const ids = seen.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, "no product is returned twice");
    assert.deepEqual(
      ids.filter((id) => !added.includes(id)),
      expectedOrder,
      "every product that existed is returned once, in the same order",
    );
    assert.ok(pages >= 3);
  });

  it("defaults page_size to 20 and caps it at 100", async () => {
    for (let i = 0; i < 90; i++) {
      await shop.client.createProduct({ product: { name: `Filler ${i}`, price: price(1n) } });
    }
    const defaultPage = await shop.client.listProducts({});
    assert.equal(defaultPage.products.length, 20);
    assert.notEqual(defaultPage.nextPageToken, "");
    const capped = await shop.client.listProducts({ pageSize: 1000 });
    assert.equal(capped.products.length, 100);
    assert.notEqual(capped.nextPageToken, "");
  });

  it("filters by a case-insensitive substring of name or description, with literal wildcards", async () => {
    const make = async (name: string, description: string) =>
      (await shop.client.createProduct({ product: { name, description, price: price(3n) } })).product!.id;
    const lamp = await make("Brass Reading LAMP", "warm light");
    const shade = await make("Paper shade", "fits any lamp base");
    const percent = await make("Discount card", "100% off nothing");
    await make("Garden hose", "twenty metres");

    const lamps = await listAll("lamp", 1);
    assert.deepEqual(
      lamps.seen.map((p) => p.id),
      [lamp, shade],
    );
    assert.equal(lamps.pages, 2, "paging works with a query too");
    assert.deepEqual(
      (await shop.client.listProducts({ query: "  LaMp  " })).products.map((p) => p.id),
      [lamp, shade],
      "query is trimmed and case-insensitive",
    );
    assert.deepEqual(
      (await shop.client.listProducts({ query: "100%" })).products.map((p) => p.id),
      [percent],
    );
    assert.deepEqual(
      (await shop.client.listProducts({ query: "%" })).products.map((p) => p.id),
      [percent],
    );
    assert.deepEqual((await shop.client.listProducts({ query: "no such thing" })).products, []);
  });

  it("rejects a page token used with a different query, or modified", async () => {
    const first = await shop.client.listProducts({ pageSize: 1, query: "filler" });
    assert.notEqual(first.nextPageToken, "");
    await rejectsWith(
      shop.client.listProducts({ pageSize: 1, query: "lamp", pageToken: first.nextPageToken }),
      Code.InvalidArgument,
      "page_token",
    );
    await rejectsWith(
      shop.client.listProducts({ pageSize: 1, pageToken: first.nextPageToken }),
      Code.InvalidArgument,
      "page_token",
    );
    const [body, sum] = first.nextPageToken.split(".");
    const decoded = JSON.parse(Buffer.from(body!, "base64url").toString()) as { t: number };
    const forged = Buffer.from(JSON.stringify({ ...decoded, t: decoded.t - 1 })).toString("base64url");
    await rejectsWith(
      shop.client.listProducts({ pageSize: 1, query: "filler", pageToken: `${forged}.${sum}` }),
      Code.InvalidArgument,
      "page_token",
    );
    const second = await shop.client.listProducts({
      pageSize: 1,
      query: "filler",
      pageToken: first.nextPageToken,
    });
    assert.equal(second.products.length, 1);
    assert.notEqual(second.products[0]?.id, first.products[0]?.id);
  });

  it("seeds the demo catalog only into an empty catalog", async () => {
    assert.equal(await seedDemoCatalog(shop.service.store), 0, "a catalog with products is left alone");
  });
});

describe("seedDemoCatalog", () => {
  let shop: TestProductService;
  before(async () => {
    shop = await startTestProductService();
  });
  after(async () => {
    await shop?.stop();
  });

  it("fills an empty catalog once with valid USD products, even when two seeders race", async () => {
    const [a, b] = await Promise.all([
      seedDemoCatalog(shop.service.store),
      seedDemoCatalog(shop.service.store),
    ]);
    const inserted = (a ?? 0) + (b ?? 0);
    assert.ok(inserted >= 8 && inserted <= 12, `seeded ${inserted}`);
    assert.ok(a === 0 || b === 0, "only one seeder inserted");
    const { products } = await shop.client.listProducts({ pageSize: 100 });
    assert.equal(products.length, inserted);
    for (const product of products) {
      assert.equal(product.price?.currencyCode, "USD");
      assert.ok(product.name.length > 0 && product.description.length > 0);
      // Served back through GetProduct, so every seeded row is readable through the contract.
      assert.equal((await shop.client.getProduct({ id: product.id })).product?.name, product.name);
    }
  });
});
