import { describe, expect, it } from "vitest";
import { FlushQueue } from "../../../src/objects/outbox.ts";

// FlushQueue (src/objects/outbox.ts): one delivery at a time per object, and a delivery that fails
// as a whole does not take the ones queued behind it down with it. The outbox side is only its
// `delivering` bookkeeping, counted here.

function counting() {
  const log: string[] = [];
  let open = 0;
  const outbox = {
    delivering(now: number) {
      open++;
      log.push(`delivering@${now}`);
      return () => {
        open--;
        log.push("ended");
      };
    },
  };
  return { outbox, log, open: () => open };
}

const deferred = () => {
  let resolve!: (v: boolean) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<boolean>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

describe("FlushQueue", () => {
  it("runs one flush at a time, in the order asked, marking the outbox as delivering from the request on", async () => {
    const { outbox, log, open } = counting();
    let t = 100;
    const q = new FlushQueue(outbox, () => t++);
    const a = deferred();
    const started: string[] = [];
    const first = q.run(() => (started.push("a"), a.promise));
    const second = q.run(async () => (started.push("b"), false));
    await new Promise((r) => setTimeout(r, 0)); // every microtask has run: "b" still waits for "a"
    expect(started).toEqual(["a"]);
    expect(log).toEqual(["delivering@100", "delivering@101"]);
    a.resolve(true);
    expect(await first).toBe(true);
    expect(await second).toBe(false);
    expect(started).toEqual(["a", "b"]);
    expect(open()).toBe(0);
  });

  it("a flush that fails rejects to its caller only: the next one still runs", async () => {
    const { outbox, open } = counting();
    const q = new FlushQueue(outbox, () => 0);
    const a = deferred();
    const first = q.run(() => a.promise);
    let ranSecond = false;
    const second = q.run(async () => ((ranSecond = true), true));
    a.reject(new Error("D1 down"));
    await expect(first).rejects.toThrow("D1 down");
    expect(await second).toBe(true);
    expect(ranSecond).toBe(true);
    expect(open()).toBe(0);
    // And a later one, once the queue is idle again.
    expect(await q.run(async () => false)).toBe(false);
  });
});
