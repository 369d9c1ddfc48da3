import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ApplicationFailure,
  CancelledError,
  ChildWorkflowFailure,
  activate,
  defineWorkflow,
  errorToFailure,
  type ChildWorkflowHandle,
} from "@sundial/sdk/workflow";
import { HistoryBuilder } from "./helpers/history.ts";
import { Driver, withoutStacks } from "./helpers/messages.ts";

const quiet = { logSink: () => {} };

/** The child: a definition with its own timeout and task queue, which the parent's command carries. */
const chargeCard = defineWorkflow({
  name: "charge_card",
  input: z.object({ orderId: z.string(), cents: z.number().int() }),
  executionTimeout: "10m",
  taskQueue: "payments",
  run: async (_ctx, { orderId, cents }) => ({ receipt: `r-${orderId}-${cents}` }),
});

/** Charges through a child workflow, then ships (an activity); reports a child's failure instead of failing. */
const order = defineWorkflow({
  name: "order",
  run: async (ctx, { orderId }: { orderId: string }) => {
    try {
      const { receipt } = await ctx.executeChildWorkflow(chargeCard, { orderId, cents: 4200 });
      const tracking = await ctx.executeActivity<string>("ship", orderId);
      return { receipt, tracking };
    } catch (err) {
      if (!(err instanceof ChildWorkflowFailure)) throw err;
      return {
        failed: { name: err.name, workflow: err.workflow, executionId: err.executionId, seq: err.seq, status: err.status, message: err.message, cause: [err.cause.name, (err.cause as ApplicationFailure).type ?? null] },
      };
    }
  },
});

const startCharge = {
  type: "start_child_workflow",
  seq: 1,
  workflow: "charge_card",
  input: { orderId: "o-7", cents: 4200 },
  task_queue: "payments",
  execution_timeout: 600,
  parent_close_policy: "TERMINATE",
};

function orderDriver(): Driver {
  return new Driver(order, new HistoryBuilder({ workflow: "order", input: { orderId: "o-7" }, executionId: "order-7" }).task(), { executionId: "order-7" });
}

describe("child workflows: execute and wait (default)", () => {
  it("starts the child with the definition's options, waits, then continues with its result (full replay = cached state)", async () => {
    const d = orderDriver();
    const t1 = await d.task();
    expect(t1).toEqual([startCharge]);
    // Started, but no result yet: nothing to do.
    d.complete(t1).childStarted(1).task();
    expect(await d.task()).toEqual([]);
    d.complete([]).childCompleted(1, { receipt: "r-o-7-4200" }).task();
    const t3 = await d.task();
    expect(t3).toEqual([{ type: "schedule_activity", seq: 1, activity_type: "ship", input: "o-7", options: {} }]);
    d.complete(t3).activityCompleted(1, "trk-1").task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { receipt: "r-o-7-4200", tracking: "trk-1" } }]);
    const closed = await activate(order, d.complete([{ type: "complete_workflow", result: null }]).build(), undefined, { ...quiet, executionId: "order-7" });
    expect(closed.commands).toEqual([]);
    expect(closed.state.closed).toBe(true);
  });

  it("a child that started and finished within one batch resolves in that task", async () => {
    const d = orderDriver();
    const t1 = await d.task();
    d.complete(t1).childStarted(1).childCompleted(1, { receipt: "quick" }).task();
    expect(await d.task()).toEqual([{ type: "schedule_activity", seq: 1, activity_type: "ship", input: "o-7", options: {} }]);
  });

  it("a child closed before its start was recorded still delivers its result", async () => {
    const d = orderDriver();
    const t1 = await d.task();
    d.complete(t1).childCompleted(1, { receipt: "raced" }).task();
    expect(await d.task()).toEqual([{ type: "schedule_activity", seq: 1, activity_type: "ship", input: "o-7", options: {} }]);
  });

  it("a name, no options: only the close policy is sent; the platform picks queue and timeout", async () => {
    const byName = defineWorkflow({ name: "by_name", run: async (ctx) => ctx.executeChildWorkflow<number>("child_by_name") });
    const h = new HistoryBuilder({ workflow: "by_name" }).task();
    const { commands } = await activate(byName, h.build(), undefined, quiet);
    expect(commands).toEqual([{ type: "start_child_workflow", seq: 1, workflow: "child_by_name", input: null, parent_close_policy: "TERMINATE" }]);
  });

  it("explicit options win over the definition's: id, queue, timeout, policy", async () => {
    const custom = defineWorkflow({
      name: "custom",
      run: async (ctx) =>
        ctx.executeChildWorkflow(chargeCard, { orderId: "x", cents: 1 }, { executionId: "charge-x", taskQueue: "fast", executionTimeout: "2h", parentClosePolicy: "REQUEST_CANCEL" }),
    });
    const { commands } = await activate(custom, new HistoryBuilder({ workflow: "custom" }).task().build(), undefined, quiet);
    expect(commands).toEqual([
      { type: "start_child_workflow", seq: 1, workflow: "charge_card", input: { orderId: "x", cents: 1 }, execution_id: "charge-x", task_queue: "fast", execution_timeout: 7200, parent_close_policy: "REQUEST_CANCEL" },
    ]);
  });

  it("children are numbered on their own, like activities and timers", async () => {
    const mixed = defineWorkflow({
      name: "mixed",
      run: async (ctx) => {
        const [a, b, c] = await Promise.all([ctx.executeActivity<number>("a", null), ctx.executeChildWorkflow<number>("kid", 1), ctx.executeChildWorkflow<number>("kid", 2)]);
        await ctx.sleep("1s");
        return a + b + c;
      },
    });
    const d = new Driver(mixed, new HistoryBuilder({ workflow: "mixed", executionId: "mix" }).task());
    const t1 = await d.task();
    expect(t1.map((c) => [c.type, "seq" in c ? c.seq : null])).toEqual([
      ["schedule_activity", 1],
      ["start_child_workflow", 1],
      ["start_child_workflow", 2],
    ]);
    d.complete(t1).childStarted(2).childStarted(1).childCompleted(2, 20).activityCompleted(1, 1).task();
    expect(await d.task()).toEqual([]);
    d.complete([]).childCompleted(1, 10).task();
    const t3 = await d.task();
    expect(t3).toEqual([{ type: "start_timer", seq: 1, duration: 1 }]);
    d.complete(t3).timerFired(1).task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: 31 }]);
  });
});

describe("child workflows: failures", () => {
  it.each([
    ["failed", { message: "card declined", type: "CardDeclined" }, "failed: card declined", ["ApplicationFailure", "CardDeclined"]],
    ["terminated", { message: "terminated: boom", type: "Terminated" }, "was terminated: terminated: boom", ["ApplicationFailure", "Terminated"]],
    ["timed_out", { message: "execution timed out after 600s", type: "WORKFLOW_EXECUTION_TIMED_OUT" }, "timed out: execution timed out after 600s", ["ApplicationFailure", "WORKFLOW_EXECUTION_TIMED_OUT"]],
    ["cancelled", { message: "execution cancelled", type: "CancelledError" }, "was cancelled: execution cancelled", ["CancelledError", null]],
  ] as const)("a child that ended %s surfaces as ChildWorkflowFailure with the child's error as cause", async (status, failure, tail, cause) => {
    const d = orderDriver();
    const t1 = await d.task();
    d.complete(t1).childStarted(1).childFailed(1, status, failure).task();
    expect(await d.task()).toEqual([
      {
        type: "complete_workflow",
        result: {
          failed: { name: "ChildWorkflowFailure", workflow: "charge_card", executionId: "order-7:child-1", seq: 1, status, message: `child workflow "charge_card" (order-7:child-1) ${tail}`, cause },
        },
      },
    ]);
  });

  it("a child that could not start rejects with status start_failed", async () => {
    const d = orderDriver();
    const t1 = await d.task();
    d.complete(t1).childStartFailed(1, { message: "execution order-7:child-1 already exists (other_workflow, running)" }).task();
    expect(await d.task()).toEqual([
      {
        type: "complete_workflow",
        result: {
          failed: {
            name: "ChildWorkflowFailure",
            workflow: "charge_card",
            executionId: "order-7:child-1",
            seq: 1,
            status: "start_failed",
            message: 'child workflow "charge_card" (order-7:child-1) could not start: execution order-7:child-1 already exists (other_workflow, running)',
            cause: ["ApplicationFailure", "ChildWorkflowStartFailed"],
          },
        },
      },
    ]);
  });

  it("a child whose input its registered schema refused rejects with start_failed, cause InvalidInput naming the field; the parent goes on", async () => {
    const tolerant = defineWorkflow({
      name: "tolerant",
      run: async (ctx) => {
        try {
          return await ctx.executeChildWorkflow("charge_card", { cents: "ten" });
        } catch (err) {
          if (!(err instanceof ChildWorkflowFailure && err.status === "start_failed" && err.cause instanceof ApplicationFailure && err.cause.type === "InvalidInput")) throw err;
          return { refused: err.cause.details, nonRetryable: err.cause.nonRetryable };
        }
      },
    });
    const d = new Driver(tolerant, new HistoryBuilder({ workflow: "tolerant" }).task());
    const t1 = await d.task();
    // What the platform records in the completion that initiated the child (see checkCommandInputs).
    d.complete(t1).childStartFailed(1, { message: "child input refused: input.cents: expected number, got string (input schema of workflow charge_card)", type: "InvalidInput", details: { field: "input.cents" } }).task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { refused: { field: "input.cents" }, nonRetryable: true } }]);
  });

  it("an uncaught ChildWorkflowFailure fails the parent with the child named in the failure's details", async () => {
    const strict = defineWorkflow({ name: "strict", run: async (ctx) => ctx.executeChildWorkflow("kid", null) });
    const h = new HistoryBuilder({ workflow: "strict", executionId: "p" }).task();
    const t1 = await activate(strict, h.build(), undefined, quiet);
    h.complete(t1.commands).childStarted(1).childFailed(1, "failed", { message: "no", type: "Nope", non_retryable: true }).task();
    const t2 = await activate(strict, h.build(), undefined, quiet);
    expect(withoutStacks(t2.commands)).toEqual([
      {
        type: "fail_workflow",
        failure: {
          message: 'child workflow "kid" (p:child-1) failed: no',
          type: "ChildWorkflowFailure",
          non_retryable: false,
          details: { workflow: "kid", execution_id: "p:child-1", seq: 1, status: "failed" },
          cause: { message: "no", type: "Nope", non_retryable: true },
        },
      },
    ]);
  });

  it("the parent asked to cancel: an awaited child rejects with CancelledError, no command is sent for it", async () => {
    const careful = defineWorkflow({
      name: "careful",
      run: async (ctx) => {
        try {
          return await ctx.executeChildWorkflow("kid", null);
        } catch (err) {
          if (err instanceof CancelledError) await ctx.executeActivity("cleanup", null);
          throw err;
        }
      },
    });
    const d = new Driver(careful, new HistoryBuilder({ workflow: "careful" }).task());
    const t1 = await d.task();
    d.complete(t1).childStarted(1).cancelRequested("stop").task();
    const t2 = await d.task();
    expect(t2).toEqual([{ type: "schedule_activity", seq: 1, activity_type: "cleanup", input: null, options: {} }]);
    // A late result for the child changes nothing.
    d.complete(t2).childCompleted(1, "late").activityCompleted(1, null).task();
    expect(await d.task()).toEqual([{ type: "cancel_workflow" }]);
  });

  it("bad options throw a TypeError where they are written (the run fails; no command is sent)", async () => {
    const bad = defineWorkflow({
      name: "bad",
      run: async (ctx, which: string) => {
        if (which === "policy") return ctx.executeChildWorkflow("kid", null, { parentClosePolicy: "KEEP" as never });
        if (which === "id") return ctx.executeChildWorkflow("kid", null, { executionId: "has a space" });
        if (which === "timeout") return ctx.executeChildWorkflow("kid", null, { executionTimeout: 0 });
        return ctx.executeChildWorkflow("bad name!", null);
      },
    });
    for (const [which, text] of [
      ["policy", 'parentClosePolicy must be one of ABANDON, REQUEST_CANCEL, TERMINATE, got "KEEP"'],
      ["id", 'executionId "has a space" is invalid'],
      ["timeout", "executionTimeout: must be between 1 second and 1 year, got 0s"],
      ["name", 'workflow must be a workflow definition or a name (1-200 letters, digits and . _ : -), got "bad name!"'],
    ]) {
      const { commands } = await activate(bad, new HistoryBuilder({ workflow: "bad", input: which }).task().build(), undefined, quiet);
      expect(commands).toHaveLength(1);
      expect(commands[0]).toMatchObject({ type: "fail_workflow", failure: { type: "TypeError" } });
      expect((commands[0] as { failure: { message: string } }).failure.message).toContain(text);
    }
  });

  it("an error's type is its name, or its class name when it kept the name Error (so nonRetryableErrorTypes can list a plain subclass)", () => {
    class BadAddress extends Error {}
    class Named extends Error {
      override name = "NamedOnPurpose";
    }
    expect(errorToFailure(new BadAddress("x")).type).toBe("BadAddress");
    expect(errorToFailure(new Named("x")).type).toBe("NamedOnPurpose");
    expect(errorToFailure(new RangeError("x")).type).toBe("RangeError");
    expect(errorToFailure(new Error("x")).type).toBe("Error");
  });

  it("ChildWorkflowFailure converts to a wire failure whose cause chain survives", () => {
    const err = new ChildWorkflowFailure("kid", "p:child-2", 2, "terminated", new ApplicationFailure("terminated: x", { type: "Terminated", nonRetryable: true }));
    expect(withoutStacks(errorToFailure(err))).toEqual({
      message: 'child workflow "kid" (p:child-2) was terminated: terminated: x',
      type: "ChildWorkflowFailure",
      non_retryable: false,
      details: { workflow: "kid", execution_id: "p:child-2", seq: 2, status: "terminated" },
      cause: { message: "terminated: x", type: "Terminated", non_retryable: true },
    });
  });
});

/** Starts an audit child without waiting, works, then collects the child's outcome. */
const fireAndForget = defineWorkflow({
  name: "fire_and_forget",
  run: async (ctx, input: { policy?: "TERMINATE"; collect: boolean }) => {
    const handle: ChildWorkflowHandle<string> = await ctx.executeChildWorkflow<string>("audit", { n: 1 }, { wait: false, ...(input.policy ? { parentClosePolicy: input.policy } : {}) });
    const work = await ctx.executeActivity<string>("work", handle.executionId);
    if (!input.collect) return { work };
    const started = await handle.started;
    try {
      return { work, started, audit: await handle.result(), same: handle.result() === handle.result() };
    } catch (err) {
      if (err instanceof ChildWorkflowFailure) return { work, started, auditFailed: err.status };
      throw err;
    }
  },
});

describe("child workflows: fire-and-forget (wait: false)", () => {
  it("resolves a handle at once (the parent goes on in the same task), defaults to ABANDON, awaits the result later", async () => {
    const d = new Driver(fireAndForget, new HistoryBuilder({ workflow: "fire_and_forget", input: { collect: true }, executionId: "ff" }).task());
    const t1 = await d.task();
    expect(t1).toEqual([
      { type: "start_child_workflow", seq: 1, workflow: "audit", input: { n: 1 }, parent_close_policy: "ABANDON" },
      { type: "schedule_activity", seq: 1, activity_type: "work", input: "ff:child-1", options: {} },
    ]);
    d.complete(t1).childStarted(1, "audit-run-1").activityCompleted(1, "worked").task();
    expect(await d.task()).toEqual([]);
    d.complete([]).childCompleted(1, "audited").task();
    expect(await d.task()).toEqual([
      { type: "complete_workflow", result: { work: "worked", started: { executionId: "ff:child-1", runId: "audit-run-1" }, audit: "audited", same: true } },
    ]);
  });

  it("a result that arrived before anyone awaited it is kept for the later await", async () => {
    const d = new Driver(fireAndForget, new HistoryBuilder({ workflow: "fire_and_forget", input: { collect: true }, executionId: "ff" }).task());
    const t1 = await d.task();
    d.complete(t1).childStarted(1, "r").childCompleted(1, "early").task();
    expect(await d.task()).toEqual([]);
    d.complete([]).activityCompleted(1, "w").task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { work: "w", started: { executionId: "ff:child-1", runId: "r" }, audit: "early", same: true } }]);
  });

  it("the policy can be overridden; a child failing that nobody awaits does not fail the parent", async () => {
    const d = new Driver(fireAndForget, new HistoryBuilder({ workflow: "fire_and_forget", input: { policy: "TERMINATE", collect: false } }).task());
    const t1 = await d.task();
    expect(t1[0]).toMatchObject({ type: "start_child_workflow", parent_close_policy: "TERMINATE" });
    d.complete(t1).childStarted(1).childFailed(1, "failed", { message: "audit broke" }).task();
    expect(await d.task()).toEqual([]);
    d.complete([]).activityCompleted(1, "w").task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { work: "w" } }]);
  });

  it("start failure rejects `started` and `result()` alike", async () => {
    const d = new Driver(fireAndForget, new HistoryBuilder({ workflow: "fire_and_forget", input: { collect: true } }).task());
    const t1 = await d.task();
    d.complete(t1).childStartFailed(1, { message: "id taken" }).activityCompleted(1, "w").task();
    const t2 = await d.task();
    expect(t2).toHaveLength(1);
    expect(t2[0]).toMatchObject({ type: "fail_workflow", failure: { type: "ChildWorkflowFailure", details: { status: "start_failed" } } });
  });
});

/** Starts a handle, then waits on an activity; on a cancel request, collects the handle's outcome. */
const collectOnCancel = defineWorkflow({
  name: "collect_on_cancel",
  run: async (ctx, policy: "ABANDON" | "REQUEST_CANCEL" | "TERMINATE") => {
    const handle = await ctx.executeChildWorkflow<string>("audit", null, { wait: false, parentClosePolicy: policy });
    try {
      return await ctx.executeActivity<string>("work", null);
    } catch (err) {
      if (!(err instanceof CancelledError)) throw err;
      try {
        return { audit: await handle.result() };
      } catch (childErr) {
        return { auditError: childErr instanceof ChildWorkflowFailure ? childErr.status : String(childErr) };
      }
    }
  },
});

describe("child workflows: handles when the parent is asked to cancel", () => {
  it.each(["ABANDON", "REQUEST_CANCEL", "TERMINATE"] as const)("%s: the handle is not rejected by the cancel request; it settles with the child's result", async (policy) => {
    const d = new Driver(collectOnCancel, new HistoryBuilder({ workflow: "collect_on_cancel", input: policy }).task());
    const t1 = await d.task();
    d.complete(t1).childStarted(1).cancelRequested("stop").task();
    // The platform does not touch the child while the parent runs: the handle stays pending.
    expect(await d.task()).toEqual([{ type: "request_cancel_activity", seq: 1 }]);
    d.complete([{ type: "request_cancel_activity", seq: 1 }]).activityCancelled(1).childCompleted(1, "audited").task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { audit: "audited" } }]);
  });

  it("a child cancelled on its own (an explicit cancel) rejects the handle with ChildWorkflowFailure status cancelled", async () => {
    const d = new Driver(collectOnCancel, new HistoryBuilder({ workflow: "collect_on_cancel", input: "ABANDON" }).task());
    const t1 = await d.task();
    d.complete(t1).childStarted(1).cancelRequested().task();
    const t2 = await d.task();
    d.complete(t2).childFailed(1, "cancelled", { message: "execution cancelled", type: "CancelledError" }).task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { auditError: "cancelled" } }]);
  });
});
