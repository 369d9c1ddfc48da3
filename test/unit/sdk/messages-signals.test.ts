import { describe, expect, it } from "vitest";
import { CancelledError, NonDeterminismError, ReadOnlyContextError, TimeoutError, TimeoutFailure, activate, defineWorkflow, type Duration } from "@sundial/sdk/workflow";
import { HistoryBuilder } from "./helpers/history.ts";
import { Driver } from "./helpers/messages.ts";

const quiet = { logSink: () => {} };

/** Prepares, then waits for an `approve` signal (optionally with a timeout); notes are logged in order. */
const approval = defineWorkflow({
  name: "approval",
  run: async (ctx, input: { timeout?: Duration }) => {
    const log: string[] = [];
    let approvedBy: string | null = null;
    ctx.setSignalHandler("approve", (data: { by: string }) => {
      approvedBy = data.by;
      log.push(`approve:${data.by}`);
    });
    ctx.setSignalHandler("note", (text: string) => void log.push(`note:${text}`));
    await ctx.executeActivity("prepare", null);
    try {
      await ctx.waitCondition(() => approvedBy !== null, input.timeout);
    } catch (err) {
      if (err instanceof TimeoutFailure) return { approvedBy, log, timedOut: err.timeoutType, message: err.message };
      if (err instanceof CancelledError) return { approvedBy, log, cancelled: err.message };
      throw err;
    }
    return { approvedBy, log };
  },
});

const prepare = { type: "schedule_activity", seq: 1, activity_type: "prepare", input: null, options: {} };

describe("signals", () => {
  it("are delivered in history order, across tasks, and resolve a waitCondition (full replay = cached state)", async () => {
    const d = new Driver(approval, new HistoryBuilder({ workflow: "approval", input: {} }).task());
    const t1 = await d.task();
    expect(t1).toEqual([prepare]);
    // A note arrives while the activity runs; both are in the same batch, in history order.
    d.complete(t1).signal("note", "a").activityCompleted(1, null).task();
    const t2 = await d.task();
    expect(t2).toEqual([]); // waiting, no timeout: nothing to send
    d.complete(t2).signal("note", "b").signal("approve", { by: "ada" }).signal("note", "late").task();
    const t3 = await d.task();
    expect(t3).toEqual([{ type: "complete_workflow", result: { approvedBy: "ada", log: ["note:a", "note:b", "approve:ada", "note:late"] } }]);
    // The closed history replays without complaint.
    const all = d.complete(t3).build();
    const replay = await activate(approval, all, undefined, quiet);
    expect(replay.commands).toEqual([]);
    expect(replay.state.closed).toBe(true);
  });

  it("a signal in the first batch (signal-with-start) reaches a handler set at the top of run", async () => {
    const h = new HistoryBuilder({ workflow: "approval", input: {} }).signal("approve", { by: "bob" }).task();
    const d = new Driver(approval, h);
    const t1 = await d.task();
    expect(t1).toEqual([prepare]);
    d.complete(t1).activityCompleted(1, null).task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { approvedBy: "bob", log: ["approve:bob"] } }]);
  });

  it("signals that arrive before their handler is set are buffered and delivered in order on registration", async () => {
    const late = defineWorkflow({
      name: "late_handler",
      run: async (ctx) => {
        const got: unknown[] = [];
        await ctx.executeActivity("first", null);
        ctx.setSignalHandler("item", (x: unknown) => void got.push(x));
        const atRegistration = [...got];
        await ctx.waitCondition(() => got.length >= 3);
        return { atRegistration, got };
      },
    });
    const d = new Driver(late, new HistoryBuilder({ workflow: "late_handler" }).task());
    const t1 = await d.task();
    d.complete(t1).signal("item", 1).signal("other", "never delivered").signal("item", 2).activityCompleted(1, null).task();
    expect(await d.task()).toEqual([]);
    d.complete([]).signal("item", 3).task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { atRegistration: [1, 2], got: [1, 2, 3] } }]);
  });

  it("an async signal handler's commands are part of the run, and allHandlersFinished waits for it", async () => {
    const audited = defineWorkflow({
      name: "audited",
      run: async (ctx) => {
        const done: string[] = [];
        ctx.setSignalHandler("audit", async (what: string) => {
          const receipt = await ctx.executeActivity<string>("write_audit", what);
          done.push(receipt);
        });
        await ctx.waitCondition(() => done.length > 0 || !ctx.allHandlersFinished());
        await ctx.waitCondition(ctx.allHandlersFinished);
        return done;
      },
    });
    const d = new Driver(audited, new HistoryBuilder({ workflow: "audited" }).task());
    expect(await d.task()).toEqual([]);
    d.complete([]).signal("audit", "login").task();
    const t2 = await d.task();
    expect(t2).toEqual([{ type: "schedule_activity", seq: 1, activity_type: "write_audit", input: "login", options: {} }]);
    d.complete(t2).activityCompleted(1, "rcpt-1").task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: ["rcpt-1"] }]);
  });

  it("an error thrown by a signal handler fails the run", async () => {
    const strict = defineWorkflow({
      name: "strict",
      run: async (ctx) => {
        ctx.setSignalHandler("set", (n: number) => {
          if (n < 0) throw new RangeError(`negative: ${n}`);
        });
        await ctx.waitCondition(() => false);
      },
    });
    const d = new Driver(strict, new HistoryBuilder({ workflow: "strict" }).task());
    d.complete(await d.task()).signal("set", 1).signal("set", -2).task();
    expect(await d.task()).toMatchObject([{ type: "fail_workflow", failure: { type: "RangeError", message: "negative: -2" } }]);
  });

  it("rejects invalid handler names and non-function handlers where they are set", async () => {
    const bad = defineWorkflow({
      name: "bad_names",
      run: async (ctx) => {
        const errors: string[] = [];
        for (const attempt of [() => ctx.setSignalHandler("has space", () => {}), () => ctx.setQueryHandler("q", 42 as never), () => ctx.setUpdateHandler("", async () => 1)]) {
          try {
            attempt();
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
        return errors;
      },
    });
    const { commands } = await activate(bad, new HistoryBuilder({ workflow: "bad_names" }).task().build(), undefined, quiet);
    expect(commands).toEqual([
      {
        type: "complete_workflow",
        result: [
          'signal name "has space" is invalid: use 1-200 letters, digits and . _ : -, starting with a letter or digit',
          'query "q": the handler must be a function (or undefined to remove it)',
          'update name "" is invalid: use 1-200 letters, digits and . _ : -, starting with a letter or digit',
        ],
      },
    ]);
  });
});

describe("waitCondition", () => {
  it("with a timeout starts a timer, and cancels it when the condition wins", async () => {
    const d = new Driver(approval, new HistoryBuilder({ workflow: "approval", input: { timeout: "2d" } }).task());
    d.complete(await d.task()).activityCompleted(1, null).task();
    const t2 = await d.task();
    expect(t2).toEqual([{ type: "start_timer", seq: 1, duration: 172_800 }]);
    d.complete(t2).signal("approve", { by: "ada" }).task();
    const t3 = await d.task();
    expect(t3).toEqual([
      { type: "cancel_timer", seq: 1 },
      { type: "complete_workflow", result: { approvedBy: "ada", log: ["approve:ada"] } },
    ]);
    const closed = d.complete(t3).build();
    expect(closed.map((e) => e.type).slice(-3)).toEqual(["workflow_task_completed", "timer_cancelled", "execution_completed"]);
    expect((await activate(approval, closed, undefined, quiet)).state.closed).toBe(true);
  });

  it("rejects with TimeoutFailure when the timer fires first", async () => {
    const d = new Driver(approval, new HistoryBuilder({ workflow: "approval", input: { timeout: 3600 } }).task());
    d.complete(await d.task()).activityCompleted(1, null).task();
    const t2 = await d.task();
    expect(t2).toEqual([{ type: "start_timer", seq: 1, duration: 3600 }]);
    d.complete(t2).advance(3_600_000).timerFired(1).task();
    expect(await d.task()).toEqual([
      { type: "complete_workflow", result: { approvedBy: null, log: [], timedOut: "wait_condition", message: "waitCondition timed out after 3600s" } },
    ]);
  });

  it("TimeoutError (the seeds' name) is TimeoutFailure: either instanceof catches a timed-out wait", () => {
    expect(TimeoutError).toBe(TimeoutFailure);
    expect(new TimeoutFailure("wait_condition")).toBeInstanceOf(TimeoutError);
  });

  it.each([
    ["timer first", (h: HistoryBuilder) => h.timerFired(1).signal("approve", { by: "cy" })],
    ["signal first", (h: HistoryBuilder) => h.signal("approve", { by: "cy" }).timerFired(1)],
  ])("a signal and the timer in the same batch (%s): the condition wins, no cancel_timer", async (_, events) => {
    const d = new Driver(approval, new HistoryBuilder({ workflow: "approval", input: { timeout: 60 } }).task());
    d.complete(await d.task()).activityCompleted(1, null).task();
    const t2 = await d.task();
    events(d.complete(t2)).task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { approvedBy: "cy", log: ["approve:cy"] } }]);
  });

  it("a timeout past the platform's longest timer (10 years) throws a TypeError at the call, naming the option, even when the condition already holds", async () => {
    const wf = defineWorkflow({
      name: "forever",
      run: async (ctx, when: string) => {
        const caught = (fn: () => Promise<void>) => {
          try {
            void fn();
            return "no error";
          } catch (err) {
            return `${(err as Error).name}: ${(err as Error).message}`;
          }
        };
        return caught(() => ctx.waitCondition(() => when === "already", 86_400 * 4000));
      },
    });
    for (const when of ["already", "not yet"]) {
      const { commands } = await activate(wf, new HistoryBuilder({ workflow: "forever", input: when }).task().build(), undefined, quiet);
      expect(commands, when).toEqual([
        { type: "complete_workflow", result: "TypeError: ctx.waitCondition() timeout: at most 10 years (315360000s, the platform's longest timer), got 345600000s" },
      ]);
    }
  });

  it("an already-true condition resolves at once, without a timer", async () => {
    const wf = defineWorkflow({
      name: "already",
      run: async (ctx) => {
        await ctx.waitCondition(() => true, "1h");
        return "done";
      },
    });
    const { commands } = await activate(wf, new HistoryBuilder({ workflow: "already" }).task().build(), undefined, quiet);
    expect(commands).toEqual([{ type: "complete_workflow", result: "done" }]);
  });

  it("a cancel request rejects it with CancelledError (cancelling its timer, if any)", async () => {
    for (const timeout of [undefined, "1h" as const]) {
      const d = new Driver(approval, new HistoryBuilder({ workflow: "approval", input: timeout ? { timeout } : {} }).task());
      d.complete(await d.task()).activityCompleted(1, null).task();
      const t2 = await d.task();
      d.complete(t2).cancelRequested("no longer needed").task();
      const result = { approvedBy: null, log: [], cancelled: "execution cancelled: no longer needed" };
      expect(await d.task()).toEqual(timeout ? [{ type: "cancel_timer", seq: 1 }, { type: "complete_workflow", result }] : [{ type: "complete_workflow", result }]);
    }
  });

  it("its function is read-only: scheduling work inside it throws ReadOnlyContextError", async () => {
    const wf = defineWorkflow({
      name: "sneaky_condition",
      run: async (ctx) => {
        try {
          await ctx.waitCondition(() => {
            void ctx.sleep(1);
            return true;
          });
        } catch (err) {
          return err instanceof ReadOnlyContextError ? err.message : "other";
        }
        return "no error";
      },
    });
    const { commands } = await activate(wf, new HistoryBuilder({ workflow: "sneaky_condition" }).task().build(), undefined, quiet);
    expect(commands).toEqual([
      {
        type: "complete_workflow",
        result:
          "ctx.sleep() is not allowed in a waitCondition function: query handlers and update validators are read-only and synchronous (they run on replayed state and must not emit commands or change the workflow's state)",
      },
    ]);
  });
});

describe("non-determinism with signals", () => {
  it("is still detected: history recorded the wait's timer, the new code waits without one", async () => {
    const d = new Driver(approval, new HistoryBuilder({ workflow: "approval", input: { timeout: 60 } }).task());
    d.complete(await d.task()).activityCompleted(1, null).task();
    d.complete(await d.task()).signal("approve", { by: "ada" }).task();
    const changed = defineWorkflow({
      name: "approval",
      run: async (ctx) => {
        let ok = false;
        ctx.setSignalHandler("approve", () => void (ok = true));
        await ctx.executeActivity("prepare", null);
        await ctx.waitCondition(() => ok);
        return "done";
      },
    });
    const err = await activate(changed, d.h.build(), undefined, { ...quiet, executionId: "ex-s" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonDeterminismError);
    expect((err as NonDeterminismError).message).toContain("history recorded timer_started(seq 1, duration 60s) but the workflow code emitted nothing for it");
  });

  it("a signal handler that now schedules an activity the history never recorded", async () => {
    const d = new Driver(approval, new HistoryBuilder({ workflow: "approval", input: {} }).task());
    d.complete(await d.task()).signal("note", "x").activityCompleted(1, null).task();
    d.complete(await d.task()).signal("approve", { by: "ada" }).task();
    const chatty = defineWorkflow({
      name: "approval",
      run: async (ctx) => {
        let ok = false;
        ctx.setSignalHandler("approve", () => void (ok = true));
        ctx.setSignalHandler("note", (t: string) => void ctx.executeActivity("store_note", t));
        await ctx.executeActivity("prepare", null);
        await ctx.waitCondition(() => ok);
        return "done";
      },
    });
    const err = await activate(chatty, d.h.build(), undefined, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonDeterminismError);
    expect((err as NonDeterminismError).emitted).toBe('schedule_activity(seq 2, activity_type "store_note")');
  });
});
