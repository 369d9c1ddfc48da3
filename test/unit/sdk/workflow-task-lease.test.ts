import { afterEach, describe, expect, it, vi } from "vitest";
import { defineActivity } from "../../../sdk/src/workflow/define-activity.ts";
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

describe("ackIfSlow (activity tasks)", () => {
  it("acknowledges after 1 s and, while the acknowledgement fails transiently, again each second within the platform's 5 s", async () => {
    vi.useFakeTimers();
    const { ackIfSlow, ACK_TRIES } = await import("../../../sdk/src/worker/run-worker.ts");
    const { SundialApiError, SundialConnectionError } = await import("@sundial/sdk/client");
    const at: number[] = [];
    const t0 = Date.now();
    ackIfSlow({ ack: async () => { at.push(Date.now() - t0); throw new SundialConnectionError("http://x", new Error("reset")); } }, "tok");
    await vi.advanceTimersByTimeAsync(30_000);
    expect(at).toEqual([1_000, 2_000, 3_000, 4_000]);
    expect(ACK_TRIES * ACK_AFTER_MS).toBeLessThan(5_000);

    // A refusal that will not pass (the task is stale) is not retried; a success ends it; so does the stop.
    let stale = 0;
    ackIfSlow({ ack: async () => { stale++; throw new SundialApiError({ type: "about:blank", title: "Conflict", status: 409, code: "stale_task", detail: "stale" }); } }, "tok");
    let ok = 0;
    ackIfSlow({ ack: async () => void ok++ }, "tok");
    let stopped = 0;
    ackIfSlow({ ack: async () => void stopped++ }, "tok")();
    await vi.advanceTimersByTimeAsync(30_000);
    expect([stale, ok, stopped]).toEqual([1, 1, 0]);
  });
});

describe("longTimeout (activity start-to-close)", () => {
  it("waits past setTimeout's 24.8-day limit instead of firing at once", async () => {
    vi.useFakeTimers();
    const { longTimeout } = await import("../../../sdk/src/worker/activity-runner.ts");
    let fired = 0;
    longTimeout(() => fired++, 30 * 86_400_000);
    await vi.advanceTimersByTimeAsync(29 * 86_400_000);
    expect(fired).toBe(0);
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(fired).toBe(1);
    const clear = longTimeout(() => fired++, 40 * 86_400_000);
    await vi.advanceTimersByTimeAsync(30 * 86_400_000);
    clear();
    await vi.advanceTimersByTimeAsync(30 * 86_400_000);
    expect(fired).toBe(1);
  });
});

describe("worker options", () => {
  it("refuses a poll wait or backoff the platform would refuse on every poll, before anything is sent", async () => {
    const { resolveWorkerOptions } = await import("../../../sdk/src/worker/options.ts");
    const base = { url: "http://x", apiKey: "dev.k", activities: [defineActivity({ name: "a", run: async () => null })] } as never;
    expect(() => resolveWorkerOptions({ ...(base as object), pollWaitSeconds: 90 } as never)).toThrow("pollWaitSeconds must be a number from 1 to 60, got 90");
    expect(() => resolveWorkerOptions({ ...(base as object), backoff: { initialMs: -1 } } as never)).toThrow("backoff.initialMs");
    expect(resolveWorkerOptions({ ...(base as object), pollWaitSeconds: 20 } as never).pollWaitSeconds).toBe(20);
  });

  it("refuses pollWaitSeconds 0: a poll that holds nothing would make every poller a busy loop", async () => {
    const { resolveWorkerOptions } = await import("../../../sdk/src/worker/options.ts");
    const base = { url: "http://x", apiKey: "dev.k", activities: [defineActivity({ name: "a", run: async () => null })] } as never;
    expect(() => resolveWorkerOptions({ ...(base as object), pollWaitSeconds: 0 } as never)).toThrow("pollWaitSeconds must be a number from 1 to 60, got 0");
    expect(resolveWorkerOptions({ ...(base as object), pollWaitSeconds: 1 } as never).pollWaitSeconds).toBe(1);
  });
});
