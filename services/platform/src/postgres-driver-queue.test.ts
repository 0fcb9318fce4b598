import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";

/**
 * The connection queues of the `postgres` driver, as patched by `patches/postgres+3.4.9.patch`.
 * Unpatched, a queue that never empties (the pool's busy connections under steady load) kept one
 * dead slot per shift and searched them all on every query, so CPU per query grew without bound
 * (the product service went from 138 to 201 µs per GetProduct over 150,000 calls). These tests
 * fail on the unpatched driver; they load the very files the services load.
 */
interface DriverQueue<T> {
  readonly length: number;
  push(x: T): T;
  shift(): T | undefined;
  remove(x: T): T | null;
}
type QueueFactory = <T>(initial?: T[]) => DriverQueue<T>;

const driverDir = join(dirname(createRequire(import.meta.url).resolve("postgres")), "..", "..");
const builds: Record<string, () => Promise<QueueFactory>> = {
  "ES module build (what the services import)": async () =>
    (await import(pathToFileURL(join(driverDir, "src", "queue.js")).href)).default,
  "CommonJS build": async () => createRequire(import.meta.url)(join(driverDir, "cjs", "src", "queue.js")),
};

/** An array whose copies (`slice`) are recorded, so a test can see how big the queue's storage gets. */
class RecordedArray<T> extends Array<T> {
  static readonly made: RecordedArray<unknown>[] = [];
  constructor(...items: T[]) {
    super(...items);
    RecordedArray.made.push(this);
  }
}

for (const [build, load] of Object.entries(builds)) {
  describe(`postgres driver queue, ${build}`, () => {
    it("keeps its storage bounded when it never empties (100,000 rotations of three connections)", async () => {
      const Queue = await load();
      RecordedArray.made.length = 0;
      const busy = Queue(RecordedArray.from(["a", "b", "c"]));
      for (let query = 0; query < 100_000; query++) {
        // What the pool does for each query while every connection is busy: take the first one,
        // move it (remove from its queue, which no longer holds it) and append it again.
        const connection = busy.shift() as string;
        assert.equal(busy.remove(connection), null);
        busy.push(connection);
      }
      assert.equal(busy.length, 3);
      const largest = Math.max(...RecordedArray.made.map((array) => array.length));
      assert.ok(largest < 200, `the queue's storage grew to ${largest} slots for 3 entries`);
    });

    it("still answers first in, first out, with removal from the middle", async () => {
      const queue = (await load())<string>();
      for (const x of ["a", "b", "c", "d"]) queue.push(x);
      assert.equal(queue.shift(), "a");
      assert.equal(queue.remove("c"), "c");
      assert.equal(queue.remove("c"), null);
      queue.push("e");
      assert.equal(queue.length, 3);
      assert.deepEqual([queue.shift(), queue.shift(), queue.shift()], ["b", "d", "e"]);
      assert.equal(queue.length, 0);
      assert.equal(queue.shift(), undefined);
      assert.equal(queue.length, 0, "shifting an empty queue leaves it empty");
      queue.push("f");
      assert.equal(queue.shift(), "f");
    });
  });
}
