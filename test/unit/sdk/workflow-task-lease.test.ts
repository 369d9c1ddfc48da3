import { afterEach, describe, expect, it, vi } from "vitest";
import { ACK_AFTER_MS, keepWorkflowTaskLeased, WORKFLOW_TASK_RENEW_MS } from "../../../sdk/src/worker/run-worker.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("keepWorkflowTaskLeased", () => {
  it("acknowledges a workflow task after 1 s, then every 3 s (a third of the 10 s timeout) until stopped", async () => {
    vi.useFakeTimers();
    const acks: number[] = [];
    const stop = keepWorkflowTaskLeased({ ack: async () => void acks.push(Date.now()) }, "tok");
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(ACK_AFTER_MS - 1);
    expect(acks).toEqual([]);
    await vi.advanceTimersByTimeAsync(1 + 3 * WORKFLOW_TASK_RENEW_MS);
    expect(acks.map((t) => t - t0)).toEqual([1_000, 4_000, 7_000, 10_000]);
    expect(WORKFLOW_TASK_RENEW_MS * 3).toBeLessThan(10_000);
    stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(acks).toHaveLength(4);
  });

  it("a fast task is never acknowledged, and a failing acknowledgement does not stop the next", async () => {
    vi.useFakeTimers();
    let calls = 0;
    keepWorkflowTaskLeased({ ack: async () => void calls++ }, "fast")();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls).toBe(0);
    const stop = keepWorkflowTaskLeased({ ack: async () => { calls++; throw new Error("platform down"); } }, "slow");
    await vi.advanceTimersByTimeAsync(ACK_AFTER_MS + WORKFLOW_TASK_RENEW_MS);
    expect(calls).toBe(2);
    stop();
  });
});
