import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ActivityFailure, ApplicationFailure, TimeoutFailure, activate, defineActivity, defineWorkflow } from "@sundial/sdk/workflow";
import { Command, MAX_TIMER_SECONDS } from "@sundial/sdk/protocol";
import { timerSeconds } from "../../../sdk/src/workflow/duration.ts";
import { HistoryBuilder } from "./helpers/history.ts";

const quiet = { logSink: () => {} };

const charge = defineActivity({ name: "charge", options: { startToCloseTimeout: "30s" }, run: async (amount: number) => ({ receipt: `r-${amount}` }) });
const ship = defineActivity({ name: "ship", run: async (orderId: string) => `shipped ${orderId}` });

const order = defineWorkflow({
  name: "order",
  input: z.object({ orderId: z.string(), amount: z.number() }),
  run: async (ctx, { orderId, amount }) => {
    const { receipt } = await ctx.executeActivity(charge, amount, { retry: { maximumAttempts: 3 } });
    const shipped = await ctx.executeActivity(ship, orderId);
    return { receipt, shipped };
  },
});

describe("runtime: sequential activities", () => {
  const h = new HistoryBuilder({ workflow: "order", input: { orderId: "o-1", amount: 42 } }).task();

  it("first task schedules the first activity with its options in snake_case seconds", async () => {
    const { commands } = await activate(order, h.build(), undefined, quiet);
    expect(commands).toEqual([
      { type: "schedule_activity", seq: 1, activity_type: "charge", input: 42, options: { start_to_close_timeout: 30, retry: { maximum_attempts: 3 } } },
    ]);
  });

  it("second task schedules the next activity once the first completed", async () => {
    const first = await activate(order, h.build(), undefined, quiet);
    h.complete(first.commands).activityStarted(1).activityCompleted(1, { receipt: "r-42" }).task();
    const { commands } = await activate(order, h.build(), undefined, quiet);
    expect(commands).toEqual([{ type: "schedule_activity", seq: 2, activity_type: "ship", input: "o-1", options: {} }]);
  });

  it("third task completes the workflow with both results", async () => {
    const second = await activate(order, h.build(), undefined, quiet);
    h.complete(second.commands).activityCompleted(2, "shipped o-1").task();
    const { commands, state } = await activate(order, h.build(), undefined, quiet);
    expect(commands).toEqual([{ type: "complete_workflow", result: { receipt: "r-42", shipped: "shipped o-1" } }]);
    expect(state.closed).toBe(true);
  });
});

describe("runtime: Promise.all of three activities", () => {
  const fanout = defineWorkflow({
    name: "fanout",
    run: async (ctx, urls: string[]) => {
      const sizes = await Promise.all(urls.map((u) => ctx.executeActivity<number>("fetch_size", u)));
      return sizes.reduce((a, b) => a + b, 0);
    },
  });

  it("schedules all three at once, then completes when the last resolves, in any order", async () => {
    const h = new HistoryBuilder({ workflow: "fanout", input: ["a", "b", "c"] }).task();
    const t1 = await activate(fanout, h.build(), undefined, quiet);
    expect(t1.commands.map((c) => c.type === "schedule_activity" && [c.seq, c.input])).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
    ]);
    h.complete(t1.commands).activityCompleted(2, 20).task();
    const t2 = await activate(fanout, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([]);
    h.complete(t2.commands).activityCompleted(3, 300).activityCompleted(1, 1).task();
    const t3 = await activate(fanout, h.build(), undefined, quiet);
    expect(t3.commands).toEqual([{ type: "complete_workflow", result: 321 }]);
  });
});

describe("runtime: sleep", () => {
  const napper = defineWorkflow({
    name: "napper",
    run: async (ctx) => {
      const before = ctx.now().toISOString();
      await ctx.sleep("90s");
      await ctx.sleep(1.5);
      return { before, after: ctx.now().toISOString() };
    },
  });

  it("starts durable timers in seconds and sees the platform's time after each fires", async () => {
    const h = new HistoryBuilder({ workflow: "napper", start: "2026-11-22T09:00:00.000Z" }).task();
    const t1 = await activate(napper, h.build(), undefined, quiet);
    expect(t1.commands).toEqual([{ type: "start_timer", seq: 1, duration: 90 }]);
    h.complete(t1.commands).advance(90_000).timerFired(1).task();
    const t2 = await activate(napper, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([{ type: "start_timer", seq: 2, duration: 1.5 }]);
    h.complete(t2.commands).timerFired(2).task();
    const events = h.build();
    const lastStarted = events[events.length - 1]!;
    const t3 = await activate(napper, events, undefined, quiet);
    expect(t3.commands).toEqual([{ type: "complete_workflow", result: { before: "2026-11-22T09:00:00.010Z", after: lastStarted.ts } }]);
  });

  it("rejects a malformed duration inside the workflow (fails the run, naming the option)", async () => {
    const bad = defineWorkflow({ name: "bad_sleep", run: async (ctx) => ctx.sleep("soon" as never) });
    const { commands } = await activate(bad, new HistoryBuilder({ workflow: "bad_sleep" }).task().build(), undefined, quiet);
    expect(commands).toMatchObject([{ type: "fail_workflow", failure: { type: "TypeError", message: expect.stringContaining('ctx.sleep() duration: invalid duration "soon"') } }]);
  });
});

describe("runtime: activity failure after retries", () => {
  const careful = defineWorkflow({
    name: "careful",
    run: async (ctx) => {
      try {
        await ctx.executeActivity(charge, 10);
        return "charged";
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const cause = err.cause;
        await ctx.executeActivity("notify", { attempt: err.attempt, type: cause instanceof ApplicationFailure ? cause.type : cause.name, message: cause.message });
        return "notified";
      }
    },
  });

  it("surfaces the final failure as ActivityFailure whose cause keeps type, message and details", async () => {
    const h = new HistoryBuilder({ workflow: "careful" }).task();
    const t1 = await activate(careful, h.build(), undefined, quiet);
    h.complete(t1.commands).activityStarted(1, 3).activityFailed(1, { message: "card declined", type: "CardDeclined", non_retryable: true }, 3).task();
    const t2 = await activate(careful, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([
      { type: "schedule_activity", seq: 2, activity_type: "notify", input: { attempt: 3, type: "CardDeclined", message: "card declined" }, options: {} },
    ]);
  });

  it("a timeout surfaces as ActivityFailure caused by TimeoutFailure", async () => {
    const seen: string[] = [];
    const wf = defineWorkflow({
      name: "timing",
      run: async (ctx) => {
        try {
          await ctx.executeActivity(charge, 1);
        } catch (err) {
          if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) seen.push(`${err.message} | ${err.cause.timeoutType}`);
          throw err;
        }
      },
    });
    const h = new HistoryBuilder({ workflow: "timing" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    h.complete(t1.commands).activityTimedOut(1, "heartbeat", 2).task();
    const t2 = await activate(wf, h.build(), undefined, quiet);
    expect(seen).toEqual(['activity "charge" (seq 1) timed out after 2 attempts: heartbeat timeout | heartbeat']);
    expect(t2.commands).toMatchObject([{ type: "fail_workflow", failure: { type: "ActivityFailure", cause: { type: "TimeoutFailure" } } }]);
  });

  it("an unhandled ActivityFailure fails the run with the cause chain on the wire", async () => {
    const h = new HistoryBuilder({ workflow: "order", input: { orderId: "o-1", amount: 1 } }).task();
    const t1 = await activate(order, h.build(), undefined, quiet);
    h.complete(t1.commands).activityFailed(1, { message: "gateway down", type: "Unavailable", details: { code: 503 } }, 3).task();
    const { commands } = await activate(order, h.build(), undefined, quiet);
    expect(commands).toMatchObject([
      {
        type: "fail_workflow",
        failure: { type: "ActivityFailure", non_retryable: false, details: { activity_type: "charge", seq: 1, attempt: 3 }, cause: { message: "gateway down", type: "Unavailable", details: { code: 503 } } },
      },
    ]);
  });
});

describe("runtime: options the platform would refuse", () => {
  it("throw a TypeError naming the option where they are written (the run fails; the platform never refuses the task)", async () => {
    const bad = defineWorkflow({
      name: "bad_options",
      run: async (ctx, which: string) => {
        if (which === "heartbeat") return ctx.executeActivity("a", null, { heartbeatTimeout: "2d" });
        if (which === "backoff") return ctx.executeActivity("a", null, { retry: { backoffCoefficient: 0.5 } });
        if (which === "queue") return ctx.executeActivity("a", null, { taskQueue: "my queue" });
        if (which === "start") return ctx.executeActivity("a", null, { startToCloseTimeout: 0 });
        if (which === "name") return ctx.executeActivity("x".repeat(201), null);
        if (which === "spaced") return ctx.executeActivity("send email", null);
        return ctx.sleep(86_400 * 365 * 11);
      },
    });
    for (const [which, text] of [
      ["heartbeat", "activity option heartbeatTimeout:"],
      ["backoff", "activity option retry.backoffCoefficient:"],
      ["queue", "activity option taskQueue:"],
      ["start", "activity option startToCloseTimeout:"],
      // The platform refuses a command naming any other (as registration does): the workflow hears it where it called.
      ["name", "ctx.executeActivity(): the activity must be a definition or a name (1-200 letters, digits and . _ : -"],
      ["spaced", 'got "send email"'],
      ["sleep", "ctx.sleep() duration: at most 10 years"],
    ]) {
      const { commands } = await activate(bad, new HistoryBuilder({ workflow: "bad_options", input: which }).task().build(), undefined, quiet);
      expect(commands, which).toHaveLength(1);
      expect(commands[0], which).toMatchObject({ type: "fail_workflow", failure: { type: "TypeError" } });
      expect((commands[0] as { failure: { message: string } }).failure.message, which).toContain(text);
    }
  });
});

describe("timerSeconds: the one conversion of sleep durations and waitCondition timeouts", () => {
  it.each([
    [0, 0],
    ["90s", 90],
    ["1d", 86_400],
    [MAX_TIMER_SECONDS, MAX_TIMER_SECONDS],
  ] as const)("%j is %d seconds", (value, seconds) => {
    expect(timerSeconds(value, "t")).toBe(seconds);
  });

  it.each([
    [MAX_TIMER_SECONDS + 1, "t: at most 10 years (315360000s, the platform's longest timer), got 315360001s"],
    ["-1s", 't: invalid duration "-1s"'],
    ["soon", 't: invalid duration "soon"'],
  ] as const)("%j is refused with a TypeError naming the option", (value, message) => {
    expect(() => timerSeconds(value as never, "t")).toThrow(TypeError);
    expect(() => timerSeconds(value as never, "t")).toThrow(message);
  });
});

describe("protocol: activity task queues", () => {
  it("a new command's task queue follows the name rule; a recorded one is read as it was", async () => {
    const { Command, HistoryEvent } = await import("@sundial/sdk/protocol");
    const options = { task_queue: "my queue" };
    expect(Command.safeParse({ type: "schedule_activity", seq: 1, activity_type: "a", input: null, options }).success).toBe(false);
    const recorded = { id: 5, ts: "2026-12-01T00:00:00.000Z", type: "activity_scheduled", seq: 1, activity_type: "a", input: null, options };
    expect(HistoryEvent.safeParse(recorded).success).toBe(true);
  });
});

describe("runtime: a workflow that returns nothing, an activity called without input", () => {
  // What goes on the wire is JSON: an `undefined` result or input vanishes from it, and the
  // platform's schema (the same Command) then refuses the whole completion, on every retry.
  const onWire = (commands: readonly unknown[]) => commands.map((c) => Command.safeParse(JSON.parse(JSON.stringify(c))).error?.issues ?? "ok");
  const cleanup = defineActivity({ name: "cleanup", run: async () => {} });
  const chore = defineWorkflow({
    name: "chore",
    run: async (ctx) => {
      await ctx.executeActivity("cleanup");
      await ctx.executeActivity(cleanup, undefined);
    },
  });
  const h = new HistoryBuilder({ workflow: "chore" }).task();

  it("schedules each activity with input null, which the platform accepts", async () => {
    const t1 = await activate(chore, h.build(), undefined, quiet);
    expect(t1.commands).toEqual([{ type: "schedule_activity", seq: 1, activity_type: "cleanup", input: null, options: {} }]);
    expect(onWire(t1.commands)).toEqual(["ok"]);
    h.complete(t1.commands).activityCompleted(1, null).task();
    const t2 = await activate(chore, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([{ type: "schedule_activity", seq: 2, activity_type: "cleanup", input: null, options: {} }]);
    expect(onWire(t2.commands)).toEqual(["ok"]);
  });

  it("completes with result null (a void workflow's result), which the platform accepts", async () => {
    const t2 = await activate(chore, h.build(), undefined, quiet);
    h.complete(t2.commands).activityCompleted(2, null).task();
    const { commands, state } = await activate(chore, h.build(), undefined, quiet);
    expect(commands).toEqual([{ type: "complete_workflow", result: null }]);
    expect(onWire(commands)).toEqual(["ok"]);
    expect(state.closed).toBe(true);
  });
});
