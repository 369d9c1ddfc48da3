import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SundialApiError } from "@sundial/sdk/client";
import { Heartbeater, heartbeatIntervalMs, silentWorkerLogger } from "@sundial/sdk/worker";
import { CancelledError } from "@sundial/sdk/workflow";

beforeEach(() => void vi.useFakeTimers({ now: 0 }));
afterEach(() => void vi.useRealTimers());

function harness(answer: () => Promise<{ cancel_requested: boolean }> = async () => ({ cancel_requested: false })) {
  const sent: { at: number; details: unknown }[] = [];
  const cancels: CancelledError[] = [];
  const warnings: string[] = [];
  const hb = new Heartbeater({
    intervalMs: 1000,
    send: (details) => {
      sent.push({ at: Date.now(), details });
      return answer();
    },
    onCancel: (reason) => cancels.push(reason),
    logger: { ...silentWorkerLogger, warn: (m) => void warnings.push(m) },
  });
  return { hb, sent, cancels, warnings };
}

describe("heartbeats", () => {
  it.each([
    [9, 3000],
    [null, 30_000],
    [600, 30_000],
    [0.01, 50],
  ])("heartbeat_timeout %s s → every %i ms", (timeout, interval) => {
    expect(heartbeatIntervalMs(timeout)).toBe(interval);
  });

  it("keeps the task alive every interval with no help from the activity", async () => {
    const { hb, sent } = harness();
    await vi.advanceTimersByTimeAsync(3500);
    expect(sent.map((s) => s.at)).toEqual([1000, 2000, 3000]);
    hb.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(3);
  });

  it("throttles ctx.heartbeat(): one request per interval carrying the latest details", async () => {
    const { hb, sent } = harness();
    await vi.advanceTimersByTimeAsync(1500); // auto beat at 1000
    for (let i = 1; i <= 100; i++) hb.record({ done: i });
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600); // next slot at 2000
    expect(sent).toEqual([
      { at: 1000, details: undefined },
      { at: 2000, details: { done: 100 } },
    ]);
    hb.stop();
  });

  it("ctx.heartbeat() without details is a keep-alive: details still waiting for their slot go with it", async () => {
    // The platform keeps the last details a heartbeat without any carried (the next attempt
    // resumes from them); dropping the waiting ones here would lose that progress for good.
    const { hb, sent } = harness();
    await vi.advanceTimersByTimeAsync(10);
    hb.record({ cursor: 7 });
    hb.record(undefined);
    await vi.advanceTimersByTimeAsync(990);
    expect(sent).toEqual([{ at: 1000, details: { cursor: 7 } }]);
    hb.stop();
  });

  it("flush() sends details still waiting for their slot once, after the heartbeat under way; nothing when none wait", async () => {
    // An attempt that fails calls it before reporting: its retry resumes from these details.
    let release: () => void = () => {};
    const { hb, sent } = harness(() => new Promise((resolve) => (release = () => resolve({ cancel_requested: false }))));
    hb.record({ cursor: 1 });
    await vi.advanceTimersByTimeAsync(1000); // the first slot: { cursor: 1 } under way, not answered
    hb.record({ cursor: 2 });
    hb.stop();
    const flushed = hb.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((s) => s.details)).toEqual([{ cursor: 1 }]);
    release();
    await vi.advanceTimersByTimeAsync(0);
    release();
    await flushed;
    expect(sent.map((s) => s.details)).toEqual([{ cursor: 1 }, { cursor: 2 }]);
    await hb.flush();
    expect(sent).toHaveLength(2);
  });

  it("counts the poll as the first sign of life: early details wait for the first slot", async () => {
    const { hb, sent } = harness();
    await vi.advanceTimersByTimeAsync(10);
    hb.record("10%");
    hb.record("20%");
    await vi.advanceTimersByTimeAsync(989);
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([{ at: 1000, details: "20%" }]);
    hb.stop();
  });

  it("a slow heartbeat request delays the next one instead of piling requests up", async () => {
    let answerNow: () => void = () => {};
    const { hb, sent } = harness(() => new Promise((resolve) => (answerNow = () => resolve({ cancel_requested: false }))));
    await vi.advanceTimersByTimeAsync(1000);
    hb.record("a");
    await vi.advanceTimersByTimeAsync(3000); // the first request is still pending
    expect(sent).toHaveLength(1);
    answerNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([
      { at: 1000, details: undefined },
      { at: 4000, details: "a" },
    ]);
    hb.stop();
  });

  it("aborts through onCancel when the platform answers cancel_requested, then stops", async () => {
    const { sent, cancels } = harness(async () => ({ cancel_requested: true }));
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(1);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]).toBeInstanceOf(CancelledError);
    expect(cancels[0]!.message).toBe("the platform cancelled the activity");
  });

  it("treats a stale task as lost (cancel) but a transient error as a warning", async () => {
    const stale = harness(async () => {
      throw new SundialApiError({ type: "t", title: "Conflict", status: 409, code: "stale_task", detail: "re-leased" });
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(stale.cancels[0]?.message).toBe("the task is no longer this worker's (stale_task)");
    const flaky = harness(async () => {
      throw new SundialApiError({ type: "t", title: "Unavailable", status: 503, code: "unavailable", detail: "busy" });
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(flaky.sent).toHaveLength(2);
    expect(flaky.cancels).toHaveLength(0);
    expect(flaky.warnings).toEqual(["heartbeat failed; will retry at the next interval", "heartbeat failed; will retry at the next interval"]);
    flaky.hb.stop();
  });
});
