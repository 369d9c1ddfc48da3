import { describe, expect, it } from "vitest";
import { CancelledError, activate, defineWorkflow } from "@sundial/sdk/workflow";
import { HistoryBuilder } from "./helpers/history.ts";

const quiet = { logSink: () => {} };

/** Books a trip: hotel and flight in parallel, then a long wait; on cancel, releases what it holds. */
const trip = defineWorkflow({
  name: "trip",
  run: async (ctx, who: string) => {
    try {
      await Promise.all([ctx.executeActivity("book_hotel", who), ctx.executeActivity("book_flight", who)]);
      await ctx.sleep("1d");
      return "booked";
    } catch (err) {
      if (!(err instanceof CancelledError)) throw err;
      await ctx.executeActivity("release_bookings", { who, cancelRequested: ctx.cancelRequested });
      throw err;
    }
  },
});

describe("runtime: cancellation", () => {
  it("cancels pending activities, runs cleanup, then ends cancelled", async () => {
    const h = new HistoryBuilder({ workflow: "trip", input: "ada" }).task();
    const t1 = await activate(trip, h.build(), undefined, quiet);
    expect(t1.commands.map((c) => c.type)).toEqual(["schedule_activity", "schedule_activity"]);

    h.complete(t1.commands).activityCompleted(1, "hotel-9").cancelRequested("plans changed").task();
    const t2 = await activate(trip, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([
      { type: "request_cancel_activity", seq: 2 },
      { type: "schedule_activity", seq: 3, activity_type: "release_bookings", input: { who: "ada", cancelRequested: true }, options: {} },
    ]);

    h.complete(t2.commands).activityCancelled(2).activityCompleted(3, null).task();
    const t3 = await activate(trip, h.build(), undefined, quiet);
    expect(t3.commands).toEqual([{ type: "cancel_workflow" }]);
  });

  it("cancels a pending timer with cancel_timer", async () => {
    const h = new HistoryBuilder({ workflow: "trip", input: "bo" }).task();
    const t1 = await activate(trip, h.build(), undefined, quiet);
    h.complete(t1.commands).activityCompleted(1, "h").activityCompleted(2, "f").task();
    const t2 = await activate(trip, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([{ type: "start_timer", seq: 1, duration: 86_400 }]);
    h.complete(t2.commands).cancelRequested().task();
    const t3 = await activate(trip, h.build(), undefined, quiet);
    expect(t3.commands).toEqual([
      { type: "cancel_timer", seq: 1 },
      { type: "schedule_activity", seq: 3, activity_type: "release_bookings", input: { who: "bo", cancelRequested: true }, options: {} },
    ]);
  });

  it("a workflow that swallows the cancellation completes normally", async () => {
    const stubborn = defineWorkflow({
      name: "stubborn",
      run: async (ctx) => {
        try {
          await ctx.sleep("1h");
        } catch (err) {
          if (err instanceof CancelledError) return "cleaned up";
          throw err;
        }
        return "slept";
      },
    });
    const h = new HistoryBuilder({ workflow: "stubborn" }).task();
    const t1 = await activate(stubborn, h.build(), undefined, quiet);
    h.complete(t1.commands).cancelRequested().task();
    const t2 = await activate(stubborn, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([{ type: "cancel_timer", seq: 1 }, { type: "complete_workflow", result: "cleaned up" }]);
  });

  it("a cancel requested before the first task rejects the first operation", async () => {
    const h = new HistoryBuilder({ workflow: "trip", input: "cy" }).cancelRequested().task();
    const { commands } = await activate(trip, h.build(), undefined, quiet);
    expect(commands.map((c) => `${c.type}${"seq" in c ? c.seq : ""}`)).toEqual([
      "schedule_activity1",
      "schedule_activity2",
      "request_cancel_activity1",
      "request_cancel_activity2",
      "schedule_activity3",
    ]);
  });

  it("an activity that finished in the same batch as the cancel request resolves instead of being cancelled", async () => {
    const h = new HistoryBuilder({ workflow: "trip", input: "ed" }).task();
    const t1 = await activate(trip, h.build(), undefined, quiet);
    // The cancel request came first, the hotel booking finished while the task was being handed out.
    h.complete(t1.commands).cancelRequested().activityCompleted(1, "hotel-1").task();
    const t2 = await activate(trip, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([
      { type: "request_cancel_activity", seq: 2 },
      { type: "schedule_activity", seq: 3, activity_type: "release_bookings", input: { who: "ed", cancelRequested: true }, options: {} },
    ]);
  });

  it("a cancel that arrives with the result the workflow waited on reaches what it waits on next (a sequential workflow does not miss it)", async () => {
    const sequential = defineWorkflow({
      name: "sequential",
      run: async (ctx) => {
        await ctx.executeActivity("charge", null);
        try {
          await ctx.executeActivity("ship", null);
        } catch (err) {
          if (!(err instanceof CancelledError)) throw err;
          await ctx.executeActivity("refund", null);
          throw err;
        }
        return "shipped";
      },
    });
    const h = new HistoryBuilder({ workflow: "sequential" }).task();
    const t1 = await activate(sequential, h.build(), undefined, quiet);
    expect(t1.commands.map((c) => c.type)).toEqual(["schedule_activity"]);
    // The charge finished while the cancel request's task was being handed out: both in one batch.
    h.complete(t1.commands).cancelRequested("customer left").activityCompleted(1, "charged").task();
    const t2 = await activate(sequential, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([
      { type: "schedule_activity", seq: 2, activity_type: "ship", input: null, options: {} },
      { type: "request_cancel_activity", seq: 2 },
      { type: "schedule_activity", seq: 3, activity_type: "refund", input: null, options: {} },
    ]);
    // The same history replayed from scratch gives the same commands.
    h.complete(t2.commands).activityCancelled(2).activityCompleted(3, null).task();
    const t3 = await activate(sequential, h.build(), undefined, quiet);
    expect(t3.commands).toEqual([{ type: "cancel_workflow" }]);
  });

  it("a CancelledError thrown with no cancel request fails the run (cancel_workflow answers a request)", async () => {
    const quitter = defineWorkflow({
      name: "quitter",
      run: async () => {
        throw new CancelledError("gave up");
      },
    });
    const { commands } = await activate(quitter, new HistoryBuilder({ workflow: "quitter" }).task().build(), undefined, quiet);
    expect(commands).toMatchObject([{ type: "fail_workflow", failure: { type: "CancelledError", message: "gave up" } }]);
  });

  it("replays a cancelled run to the same commands (cancel commands are matched like any other)", async () => {
    const h = new HistoryBuilder({ workflow: "trip", input: "di" }).task();
    const t1 = await activate(trip, h.build(), undefined, quiet);
    h.complete(t1.commands).cancelRequested().task();
    const t2 = await activate(trip, h.build(), undefined, quiet);
    h.complete(t2.commands).activityCancelled(1).activityCancelled(2).activityCompleted(3, null).task();
    const t3 = await activate(trip, h.build(), undefined, quiet);
    expect(t3.commands).toEqual([{ type: "cancel_workflow" }]);
    h.complete(t3.commands);
    const closed = await activate(trip, h.build(), undefined, quiet);
    expect(closed.commands).toEqual([]);
  });
});

describe("runtime: a CancelledError escaping a signal handler", () => {
  /** A signal handler that waits (a timer); `run` catches the cancellation, cleans up and returns. */
  const cleaner = defineWorkflow({
    name: "cleaner",
    run: async (ctx, mode: "return" | "rethrow") => {
      ctx.setSignalHandler("remind", async () => void (await ctx.sleep("1h")));
      try {
        await ctx.sleep("1d");
        return "slept";
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
        await ctx.executeActivity("cleanup", null);
        if (mode === "rethrow") throw err;
        return "cleaned up";
      }
    },
  });

  it("does not override the outcome of a run that handled the cancellation; it is logged", async () => {
    const lines: [string, string, Record<string, unknown>][] = [];
    const logSink = (level: string, message: string, attrs: Record<string, unknown>) => void lines.push([level, message, attrs]);
    const h = new HistoryBuilder({ workflow: "cleaner", input: "return" }).task();
    const t1 = await activate(cleaner, h.build(), undefined, quiet);
    h.complete(t1.commands).signal("remind").task();
    const t2 = await activate(cleaner, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([{ type: "start_timer", seq: 2, duration: 3600 }]);
    h.complete(t2.commands).cancelRequested().task();
    const t3 = await activate(cleaner, h.build(), undefined, { logSink });
    expect(t3.commands).toEqual([
      { type: "cancel_timer", seq: 1 },
      { type: "cancel_timer", seq: 2 },
      { type: "schedule_activity", seq: 1, activity_type: "cleanup", input: null, options: {} },
    ]);
    expect(lines).toEqual([["warn", expect.stringContaining('signal handler "remind" let a CancelledError escape'), expect.objectContaining({ signal: "remind" })]]);
    h.complete(t3.commands).activityCompleted(1, null).task();
    const t4 = await activate(cleaner, h.build(), undefined, quiet);
    expect(t4.commands).toEqual([{ type: "complete_workflow", result: "cleaned up" }]);
  });

  it("a run that lets the cancellation escape still ends cancelled", async () => {
    const h = new HistoryBuilder({ workflow: "cleaner", input: "rethrow" }).task();
    const t1 = await activate(cleaner, h.build(), undefined, quiet);
    h.complete(t1.commands).signal("remind").task();
    const t2 = await activate(cleaner, h.build(), undefined, quiet);
    h.complete(t2.commands).cancelRequested().task();
    const t3 = await activate(cleaner, h.build(), undefined, quiet);
    h.complete(t3.commands).activityCompleted(1, null).task();
    expect((await activate(cleaner, h.build(), undefined, quiet)).commands).toEqual([{ type: "cancel_workflow" }]);
  });

  it("a CancelledError a handler throws without a cancel request, or another error after one, fails the run as from run", async () => {
    const thrower = defineWorkflow({
      name: "thrower",
      run: async (ctx) => {
        ctx.setSignalHandler("boom", (kind: string) => {
          throw kind === "cancel" ? new CancelledError("not really") : new Error("handler broke");
        });
        try {
          await ctx.sleep("1d");
        } catch {
          await ctx.sleep("1h");
        }
        return "done";
      },
    });
    const a = new HistoryBuilder({ workflow: "thrower" }).task();
    a.complete((await activate(thrower, a.build(), undefined, quiet)).commands).signal("boom", "cancel").task();
    expect((await activate(thrower, a.build(), undefined, quiet)).commands).toEqual([{ type: "fail_workflow", failure: expect.objectContaining({ type: "CancelledError", message: "not really" }) }]);
    const b = new HistoryBuilder({ workflow: "thrower" }).task();
    b.complete((await activate(thrower, b.build(), undefined, quiet)).commands).cancelRequested().signal("boom", "error").task();
    const last = (await activate(thrower, b.build(), undefined, quiet)).commands;
    expect(last.at(-1)).toEqual({ type: "fail_workflow", failure: expect.objectContaining({ message: "handler broke" }) });
  });
});
