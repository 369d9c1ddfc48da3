import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RunWaiters } from "../../../src/objects/execution-waiters.ts";

describe("RunWaiters (an ExecutionObject's in-memory waits)", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  const settled = (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    return () => done;
  };

  it("wakes close waiters only once the run is no longer running", async () => {
    const w = new RunWaiters();
    const isDone = settled(w.untilClosed(60_000));
    w.notify(() => true);
    await Promise.resolve();
    expect(isDone()).toBe(false);
    w.notify(() => false);
    await vi.advanceTimersByTimeAsync(0);
    expect(isDone()).toBe(true);
  });

  it("gives up on the wait after waitMs and forgets the close waiter", async () => {
    const w = new RunWaiters();
    const isDone = settled(w.untilClosed(1_000));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(isDone()).toBe(true);
    let asked = 0;
    w.notify(() => (asked++, false));
    expect(asked).toBe(0); // nobody left waiting: the run is not even read
  });

  it("re-checks a condition after each change until it holds", async () => {
    const w = new RunWaiters();
    let ready = false;
    let checks = 0;
    const isDone = settled(w.until(() => (checks++, ready), 60_000));
    w.notify(() => true);
    await vi.advanceTimersByTimeAsync(0);
    expect(isDone()).toBe(false);
    ready = true;
    w.notify(() => true);
    await vi.advanceTimersByTimeAsync(0);
    expect(isDone()).toBe(true);
    expect(checks).toBe(3); // once before waiting, once per change
  });

  it("drops a condition that timed out instead of re-checking it on every later change", async () => {
    const w = new RunWaiters();
    let checks = 0;
    const isDone = settled(w.until(() => (checks++, false), 500));
    await vi.advanceTimersByTimeAsync(500);
    expect(isDone()).toBe(true);
    const before = checks;
    for (let i = 0; i < 3; i++) w.notify(() => true);
    expect(checks).toBe(before);
  });

  it("does not wait when the condition already holds or no wait was asked", async () => {
    const w = new RunWaiters();
    await w.until(() => true, 60_000);
    await w.until(() => false, 0);
  });
});
