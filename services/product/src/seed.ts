import type { ProductInput, ProductStore } from "./store.js";

/** Whole dollars and cents as a Money-shaped price in USD. */
function usd(dollars: number, cents = 0): Pick<ProductInput, "currencyCode" | "units" | "nanos"> {
  return { currencyCode: "USD", units: BigInt(dollars), nanos: cents * 10_000_000 };
}

/** The demo catalog: a small, plausible shop so a newcomer can browse, search and check out. */
export const demoCatalog: readonly ProductInput[] = [
  {
    name: "Everyday Canvas Tote",
    description: "Heavy 16 oz cotton canvas tote with an inside pocket and reinforced handles.",
    ...usd(24, 0),
  },
  {
    name: "Ceramic Pour-Over Coffee Dripper",
    description: "Hand-glazed ceramic dripper for size 02 filters; brews one to four cups.",
    ...usd(32, 50),
  },
  {
    name: "Merino Wool Crew Socks",
    description: "Cushioned merino blend socks that stay warm when wet. Pack of three pairs.",
    ...usd(29, 99),
  },
  {
    name: "Stainless Steel Water Bottle 750 ml",
    description: "Double-wall vacuum insulated bottle: cold for 24 hours, hot for 12. Leak-proof lid.",
    ...usd(27, 0),
  },
  {
    name: "Wireless Noise-Cancelling Headphones",
    description: "Over-ear Bluetooth headphones with active noise cancelling and 30-hour battery life.",
    ...usd(199, 0),
  },
  {
    name: "Mechanical Keyboard, Tenkeyless",
    description: "Hot-swappable tactile switches, PBT keycaps and a detachable USB-C cable.",
    ...usd(89, 95),
  },
  {
    name: "Cast Iron Skillet 10 inch",
    description: "Pre-seasoned cast iron pan for searing, baking and campfire cooking.",
    ...usd(34, 90),
  },
  {
    name: "Linen Throw Blanket",
    description: "Stonewashed European linen throw, 130 x 170 cm, softens with every wash.",
    ...usd(68, 0),
  },
  {
    name: "Bamboo Cutting Board Set",
    description: "Three bamboo boards in small, medium and large with juice grooves.",
    ...usd(39, 99),
  },
  {
    name: "LED Desk Lamp with USB Charging",
    description: "Dimmable desk lamp with five colour temperatures and a USB-A charging port.",
    ...usd(45, 0),
  },
];

/**
 * Fills an empty catalog with {@link demoCatalog}; does nothing when any product exists, so it is
 * safe to run on every start of `npm start` and never touches a real catalog. Returns the number of
 * products inserted (0 when the catalog already had products).
 */
export function seedDemoCatalog(store: ProductStore): Promise<number> {
  return store.insertIfEmpty(demoCatalog);
}
