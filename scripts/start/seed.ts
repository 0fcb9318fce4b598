import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { UserService } from "@shop/gen/shop/user/v1/user_pb";
import { demoCatalog } from "../../services/product/src/seed.js";
import type { ProcessSpec } from "./services.js";

/** Units of stock each demo product starts with. */
export const demoStock = 25;

/**
 * Seeds the local run through the public gRPC APIs, exactly as an operator would: logs in as the
 * admin the user service created from SHOP_ADMIN_EMAIL / SHOP_ADMIN_PASSWORD, creates the demo
 * catalog when the catalog is empty, and gives every product without stock `demoStock` units.
 * Skips what is not running yet.
 */
export async function seedDemoData(options: {
  admin: { email: string; password: string };
  specs: readonly ProcessSpec[];
}): Promise<void> {
  const portOf = (name: string) => options.specs.find((s) => s.name === name)?.port;
  const userPort = portOf("user");
  const productPort = portOf("product");
  if (!userPort || !productPort) return;
  const transport = (port: number) => createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });

  const users = createClient(UserService, transport(userPort));
  const { accessToken } = await users.login({ email: options.admin.email, password: options.admin.password });
  const headers = { authorization: `Bearer ${accessToken}` };

  const products = createClient(ProductService, transport(productPort));
  const existing = await products.listProducts({ pageSize: 100 });
  let catalog = existing.products;
  if (catalog.length === 0) {
    for (const item of demoCatalog) {
      const { product } = await products.createProduct(
        {
          product: {
            name: item.name,
            description: item.description,
            price: { currencyCode: item.currencyCode, units: item.units, nanos: item.nanos },
          },
        },
        { headers },
      );
      if (product) catalog = [...catalog, product];
    }
    console.log(`[seed] created ${catalog.length} demo products`);
  }

  const inventoryPort = portOf("inventory");
  if (!inventoryPort) return;
  const inventory = createClient(InventoryService, transport(inventoryPort));
  let stocked = 0;
  for (const product of catalog) {
    const { stock } = await inventory.getStock({ productId: product.id });
    if ((stock?.available ?? 0) + (stock?.reserved ?? 0) === 0) {
      await inventory.setStock({ productId: product.id, available: demoStock }, { headers });
      stocked++;
    }
  }
  if (stocked > 0) console.log(`[seed] stocked ${stocked} products with ${demoStock} units each`);
}
