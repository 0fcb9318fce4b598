import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { describe, it } from "node:test";
import { unwatchAbort, watchAbort } from "./abort-watchers.js";

describe("abort watchers", () => {
  it("calls every watcher still waiting when the signal aborts, through one listener", () => {
    const controller = new AbortController();
    const called: string[] = [];
    const first = () => called.push("first");
    const second = () => called.push("second");
    const third = () => called.push("third");
    watchAbort(controller.signal, first);
    watchAbort(controller.signal, second);
    watchAbort(controller.signal, third);
    assert.equal(getEventListeners(controller.signal, "abort").length, 1);
    unwatchAbort(controller.signal, second);
    controller.abort();
    assert.deepEqual(called, ["first", "third"]);
  });

  it("calls a watcher once, and not after it was removed", () => {
    const controller = new AbortController();
    let calls = 0;
    const onAbort = () => calls++;
    watchAbort(controller.signal, onAbort);
    unwatchAbort(controller.signal, onAbort);
    watchAbort(controller.signal, onAbort);
    controller.abort();
    controller.abort();
    assert.equal(calls, 1);
  });

  it("keeps signals apart", () => {
    const one = new AbortController();
    const other = new AbortController();
    const called: string[] = [];
    watchAbort(one.signal, () => called.push("one"));
    watchAbort(other.signal, () => called.push("other"));
    other.abort();
    assert.deepEqual(called, ["other"]);
  });
});
