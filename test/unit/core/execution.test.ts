import { describe, expect, it } from "vitest";
import { Command, type ActivityOptions, type CommandInput } from "@sundial/sdk/protocol";
import { DEFAULT_START_TO_CLOSE_SECONDS, planCommands, resolveActivityOptions, type CommandContext } from "../../../src/core/execution/commands.ts";
import {
  activityDeadline,
  afterFailedAttempt,
  DELIVERY_ACK_TIMEOUT_MS,
  deliveryLost,
  expiredTimeout,
  retryPolicyOf,
  type ActivityState,
} from "../../../src/core/execution/activity.ts";
import { DEFAULT_RETRY_POLICY } from "../../../src/core/backoff.ts";
import { ValidationError } from "../../../src/core/errors.ts";

const T = 1_700_000_000_000;

/** Commands go through the wire schema, so defaults (options, failure type, close policy) are the real ones. */
const cmds = (...input: CommandInput[]): Command[] => input.map((c) => Command.parse(c));

function ctx(over: Partial<CommandContext> = {}): CommandContext {
  return { status: "running", lastActivitySeq: 0, lastTimerSeq: 0, pendingActivities: new Set(), pendingTimers: new Set(), cancelRequested: false, ...over };
}

function rejected(context: CommandContext, commands: Command[], index: number, message: string): void {
  let err: unknown;
  try {
    planCommands(context, commands);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ValidationError);
  expect(err).toMatchObject({ code: "invalid_command", status: 422, field: `commands.${index}`, message: `commands.${index}: ${message}` });
  expect((err as ValidationError).issues).toEqual([{ field: `commands.${index}`, message: `commands.${index}: ${message}` }]);
}

function act(options: ActivityOptions, over: Partial<ActivityState> = {}): ActivityState {
  return {
    seq: 1, state: "started", attempt: 1, options: resolveActivityOptions(options),
    scheduledAt: T, startedAt: T, lastHeartbeatAt: null, nextAttemptAt: null, dispatchedAt: T, acked: true, ...over,
  };
}

describe("planCommands: accepted commands and their effects", () => {
  it("turns every kind of command into its effect, in order", () => {
    const effects = planCommands(
      ctx({ lastActivitySeq: 2, lastTimerSeq: 1, lastChildSeq: 4, pendingActivities: new Set([2]), pendingTimers: new Set([1]) }),
      cmds(
        { type: "schedule_activity", seq: 3, activity_type: "email", input: { to: "a" }, options: { schedule_to_close_timeout: 60, heartbeat_timeout: 5 } },
        { type: "request_cancel_activity", seq: 2 },
        { type: "start_timer", seq: 2, duration: 1.5 },
        { type: "cancel_timer", seq: 1 },
        { type: "start_child_workflow", seq: 5, workflow: "child", input: [1] },
        { type: "start_child_workflow", seq: 6, workflow: "c2", input: null, execution_id: "x", task_queue: "q", execution_timeout: 30, parent_close_policy: "ABANDON" },
        { type: "complete_workflow", result: { ok: true } },
      ),
    );
    expect(effects).toEqual([
      { kind: "schedule_activity", seq: 3, activityType: "email", input: { to: "a" }, options: { schedule_to_close_timeout: 60, heartbeat_timeout: 5, start_to_close_timeout: 60 } },
      { kind: "cancel_activity", seq: 2 },
      { kind: "start_timer", seq: 2, durationMs: 1500 },
      { kind: "cancel_timer", seq: 1 },
      { kind: "start_child", seq: 5, workflow: "child", input: [1], executionId: undefined, taskQueue: undefined, executionTimeout: undefined, policy: "TERMINATE" },
      { kind: "start_child", seq: 6, workflow: "c2", input: null, executionId: "x", taskQueue: "q", executionTimeout: 30, policy: "ABANDON" },
      { kind: "close", outcome: "completed", result: { ok: true } },
    ]);
  });

  it("fail_workflow and continue_as_new close with their payloads; timer durations round to ms", () => {
    expect(planCommands(ctx(), cmds({ type: "fail_workflow", failure: { message: "boom" } }))).toEqual([
      { kind: "close", outcome: "failed", failure: { message: "boom", type: "Error", non_retryable: false } },
    ]);
    expect(planCommands(ctx(), cmds({ type: "continue_as_new", input: { n: 2 }, execution_timeout: 90 }))).toEqual([
      { kind: "close", outcome: "continued_as_new", input: { n: 2 }, executionTimeout: 90 },
    ]);
    expect(planCommands(ctx(), cmds({ type: "start_timer", seq: 1, duration: 0.0004 }, { type: "start_timer", seq: 2, duration: 2.0006 }))).toEqual([
      { kind: "start_timer", seq: 1, durationMs: 0 },
      { kind: "start_timer", seq: 2, durationMs: 2001 },
    ]);
  });

  it("resolves activity options: start-to-close, else schedule-to-close, else 300 s", () => {
    expect(DEFAULT_START_TO_CLOSE_SECONDS).toBe(300);
    expect(resolveActivityOptions({})).toEqual({ start_to_close_timeout: 300 });
    expect(resolveActivityOptions({ schedule_to_close_timeout: 40 })).toEqual({ schedule_to_close_timeout: 40, start_to_close_timeout: 40 });
    expect(resolveActivityOptions({ start_to_close_timeout: 7, schedule_to_close_timeout: 40 })).toEqual({ start_to_close_timeout: 7, schedule_to_close_timeout: 40 });
    const [eff] = planCommands(ctx(), cmds({ type: "schedule_activity", seq: 1, activity_type: "a", input: null }));
    expect(eff).toEqual({ kind: "schedule_activity", seq: 1, activityType: "a", input: null, options: { start_to_close_timeout: 300 } });
  });

  it("an empty batch is always fine, even when closed", () => {
    expect(planCommands(ctx(), [])).toEqual([]);
    expect(planCommands(ctx({ status: "closed" }), [])).toEqual([]);
  });

  it("does not mutate the context's sets", () => {
    const c = ctx({ lastActivitySeq: 1, pendingActivities: new Set([1]), requestedUpdates: new Set(["u"]), acceptedUpdates: new Set(["v"]) });
    planCommands(c, cmds({ type: "request_cancel_activity", seq: 1 }, { type: "accept_update", update_id: "u" }, { type: "complete_update", update_id: "v" }));
    expect([...c.pendingActivities, ...(c.requestedUpdates ?? []), ...(c.acceptedUpdates ?? [])]).toEqual([1, "u", "v"]);
  });
});

describe("planCommands: sequence numbers", () => {
  const sched = (seq: number): CommandInput => ({ type: "schedule_activity", seq, activity_type: "a", input: null });
  const timer = (seq: number): CommandInput => ({ type: "start_timer", seq, duration: 1 });
  const child = (seq: number): CommandInput => ({ type: "start_child_workflow", seq, workflow: "w", input: null });

  it("continue each kind's own numbering", () => {
    const effects = planCommands(ctx({ lastActivitySeq: 4, lastTimerSeq: 9, lastChildSeq: 1 }), cmds(sched(5), timer(10), child(2), sched(6), timer(11), child(3)));
    expect(effects.map((e) => `${e.kind}:${"seq" in e ? e.seq : ""}`)).toEqual([
      "schedule_activity:5", "start_timer:10", "start_child:2", "schedule_activity:6", "start_timer:11", "start_child:3",
    ]);
    expect(planCommands(ctx(), cmds(child(1)))).toHaveLength(1); // lastChildSeq absent counts as 0
  });

  it("reject an activity gap or repeat, naming the command's index", () => {
    rejected(ctx({ lastActivitySeq: 4 }), cmds(sched(6)), 0, "activity seq 6 out of order (expected 5)");
    rejected(ctx({ lastActivitySeq: 4 }), cmds(sched(4)), 0, "activity seq 4 out of order (expected 5)");
    rejected(ctx({ lastActivitySeq: 4 }), cmds(timer(1), sched(5), sched(5)), 2, "activity seq 5 out of order (expected 6)");
  });

  it("reject a timer gap or repeat", () => {
    rejected(ctx({ lastTimerSeq: 2 }), cmds(sched(1), timer(4)), 1, "timer seq 4 out of order (expected 3)");
    rejected(ctx({ lastTimerSeq: 2 }), cmds(timer(3), timer(3)), 1, "timer seq 3 out of order (expected 4)");
  });

  it("allow at most 2,000 pending activities at once (Temporal's limit): the one past it is limit_exceeded; finished ones do not count", () => {
    const pending = new Set(Array.from({ length: 1_990 }, (_, i) => i + 1));
    const ten = cmds(...Array.from({ length: 10 }, (_, i) => sched(1_991 + i)));
    expect(planCommands(ctx({ lastActivitySeq: 1_990, pendingActivities: pending }), ten)).toHaveLength(10);
    let err: unknown;
    try {
      planCommands(ctx({ lastActivitySeq: 1_990, pendingActivities: pending }), [...ten, ...cmds(sched(2_001))]);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "limit_exceeded", status: 422, field: "commands.10" });
    expect((err as Error).message).toContain("more than 2000 activities would be pending");
    // A cancel in the same task frees no place (a started activity stays pending until its worker stops)...
    let cancelled: unknown;
    try {
      planCommands(ctx({ lastActivitySeq: 2_000, pendingActivities: new Set(Array.from({ length: 2_000 }, (_, i) => i + 1)) }), cmds({ type: "request_cancel_activity", seq: 1 }, sched(2_001)));
    } catch (e) {
      cancelled = e;
    }
    expect(cancelled).toMatchObject({ code: "limit_exceeded", field: "commands.1" });
    // ...while activities that finished are not pending.
    expect(planCommands(ctx({ lastActivitySeq: 5_000, pendingActivities: new Set([4_999]) }), cmds(sched(5_001)))).toHaveLength(1);
  });

  it("reject a child gap or repeat", () => {
    rejected(ctx(), cmds(child(2)), 0, "child workflow seq 2 out of order (expected 1)");
    rejected(ctx({ lastChildSeq: 3 }), cmds(child(4), child(4)), 1, "child workflow seq 4 out of order (expected 5)");
  });
});

describe("planCommands: steps (ctx.step.run)", () => {
  it("record a step's result or failure, numbered after lastStepSeq", () => {
    expect(planCommands(ctx({ lastStepSeq: 2 }), cmds({ type: "record_step", seq: 3, name: "fetch", result: { rows: 1 } }, { type: "record_step", seq: 4, name: "send", failure: { message: "down" } }))).toEqual([
      { kind: "record_step", seq: 3, name: "fetch", result: { rows: 1 }, failure: undefined },
      { kind: "record_step", seq: 4, name: "send", result: undefined, failure: { message: "down", type: "Error", non_retryable: false } },
    ]);
  });

  it("reject a gap, a repeat, or a result together with a failure", () => {
    rejected(ctx(), cmds({ type: "record_step", seq: 2, name: "a", result: 1 }), 0, "step seq 2 out of order (expected 1)");
    rejected(ctx({ lastStepSeq: 1 }), cmds({ type: "record_step", seq: 2, name: "a", result: 1 }, { type: "record_step", seq: 2, name: "b", result: 1 }), 1, "step seq 2 out of order (expected 3)");
    rejected(ctx(), cmds({ type: "record_step", seq: 1, name: "a", result: 1, failure: { message: "x" } }), 0, "a step has a result or a failure, not both");
  });
});

describe("planCommands: patch markers (ctx.patched)", () => {
  it("record each marker in command order, deprecated or not", () => {
    expect(planCommands(ctx(), cmds({ type: "set_patch_marker", patch_id: "charge-v2" }, { type: "start_timer", seq: 1, duration: 5 }, { type: "set_patch_marker", patch_id: "old", deprecated: true }))).toEqual([
      { kind: "record_patch_marker", patchId: "charge-v2", deprecated: false },
      { kind: "start_timer", seq: 1, durationMs: 5000 },
      { kind: "record_patch_marker", patchId: "old", deprecated: true },
    ]);
  });

  it("reject one on a closed run", () => {
    rejected(ctx({ status: "closed" }), cmds({ type: "set_patch_marker", patch_id: "p" }), 0, "the execution is closed");
  });
});

describe("planCommands: cancels", () => {
  it("a cancel of an activity that already resolved is a recorded no-op", () => {
    expect(planCommands(ctx({ lastActivitySeq: 3, pendingActivities: new Set() }), cmds({ type: "request_cancel_activity", seq: 2 }))).toEqual([{ kind: "cancel_activity", seq: 2 }]);
    expect(planCommands(ctx({ lastTimerSeq: 3, pendingTimers: new Set() }), cmds({ type: "cancel_timer", seq: 3 }))).toEqual([{ kind: "cancel_timer", seq: 3 }]);
  });

  it("an item scheduled earlier in the same batch can be cancelled", () => {
    const effects = planCommands(ctx(), cmds({ type: "schedule_activity", seq: 1, activity_type: "a", input: 0 }, { type: "request_cancel_activity", seq: 1 }, { type: "start_timer", seq: 1, duration: 5 }, { type: "cancel_timer", seq: 1 }));
    expect(effects.map((e) => e.kind)).toEqual(["schedule_activity", "cancel_activity", "start_timer", "cancel_timer"]);
  });

  it("a cancel of an item never scheduled is rejected", () => {
    rejected(ctx({ lastActivitySeq: 3 }), cmds({ type: "request_cancel_activity", seq: 4 }), 0, "activity 4 was never scheduled");
    rejected(ctx({ lastTimerSeq: 1 }), cmds({ type: "cancel_timer", seq: 1 }, { type: "cancel_timer", seq: 2 }), 1, "timer 2 was never started");
    rejected(ctx(), cmds({ type: "cancel_timer", seq: 1 }), 0, "timer 1 was never started");
  });
});

describe("planCommands: closing and closed", () => {
  const closers: CommandInput[] = [
    { type: "complete_workflow", result: 1 },
    { type: "fail_workflow", failure: { message: "x" } },
    { type: "continue_as_new", input: null },
    { type: "cancel_workflow" },
  ];

  it.each(closers)("nothing may follow $type", (closer) => {
    const c = ctx({ cancelRequested: true });
    expect(planCommands(c, cmds({ type: "start_timer", seq: 1, duration: 1 }, closer))).toHaveLength(2);
    rejected(c, cmds(closer, { type: "start_timer", seq: 1, duration: 1 }), 1, "no command may follow the one that closes the workflow");
    rejected(c, cmds({ type: "start_timer", seq: 1, duration: 1 }, closer, { type: "complete_workflow", result: 2 }), 2, "no command may follow the one that closes the workflow");
  });

  it("a closed execution rejects any command at index 0", () => {
    rejected(ctx({ status: "closed" }), cmds({ type: "complete_workflow", result: 1 }), 0, "the execution is closed");
    rejected(ctx({ status: "closed", lastActivitySeq: 1 }), cmds({ type: "schedule_activity", seq: 2, activity_type: "a", input: 0 }), 0, "the execution is closed");
  });

  it("cancel_workflow needs a cancellation request; other commands do not care", () => {
    rejected(ctx(), cmds({ type: "start_timer", seq: 1, duration: 1 }, { type: "cancel_workflow", details: "d" }), 1, "cancel_workflow is only valid after cancellation was requested");
    expect(planCommands(ctx({ cancelRequested: true }), cmds({ type: "cancel_workflow", details: { why: "user" } }))).toEqual([{ kind: "close", outcome: "cancelled", details: { why: "user" } }]);
    expect(planCommands(ctx({ cancelRequested: true }), cmds({ type: "cancel_workflow" }))).toEqual([{ kind: "close", outcome: "cancelled", details: undefined }]);
    expect(planCommands(ctx({ cancelRequested: true }), cmds({ type: "schedule_activity", seq: 1, activity_type: "cleanup", input: 0 }, { type: "complete_workflow", result: 0 }))).toHaveLength(2);
  });
});

describe("planCommands: updates", () => {
  const failure = { message: "invalid", type: "Error", non_retryable: false };

  it("accepts or rejects a requested update, completes an accepted one", () => {
    const effects = planCommands(
      ctx({ requestedUpdates: new Set(["a", "r"]), acceptedUpdates: new Set(["done", "old"]) }),
      cmds({ type: "accept_update", update_id: "a" }, { type: "reject_update", update_id: "r", failure: { message: "invalid" } }, { type: "complete_update", update_id: "done", result: 42 }, { type: "complete_update", update_id: "old", failure: { message: "bad" } }),
    );
    expect(effects).toEqual([
      { kind: "accept_update", updateId: "a" },
      { kind: "reject_update", updateId: "r", failure },
      { kind: "complete_update", updateId: "done", result: 42, failure: undefined },
      { kind: "complete_update", updateId: "old", result: undefined, failure: { message: "bad", type: "Error", non_retryable: false } },
    ]);
  });

  it("an update not waiting for validation cannot be accepted or rejected", () => {
    rejected(ctx(), cmds({ type: "accept_update", update_id: "u9" }), 0, "update u9 is not waiting for validation");
    rejected(ctx({ acceptedUpdates: new Set(["u"]) }), cmds({ type: "reject_update", update_id: "u", failure }), 0, "update u is not waiting for validation");
    rejected(ctx({ requestedUpdates: new Set(["u"]) }), cmds({ type: "accept_update", update_id: "u" }, { type: "accept_update", update_id: "u" }), 1, "update u is not waiting for validation");
  });

  it("only an accepted, not yet completed update can be completed", () => {
    const msg = "update u was not accepted (or is already complete)";
    rejected(ctx({ requestedUpdates: new Set(["u"]) }), cmds({ type: "complete_update", update_id: "u" }), 0, msg);
    rejected(ctx({ requestedUpdates: new Set(["u"]) }), cmds({ type: "reject_update", update_id: "u", failure }, { type: "complete_update", update_id: "u" }), 1, msg);
    rejected(ctx({ acceptedUpdates: new Set(["u"]) }), cmds({ type: "complete_update", update_id: "u" }, { type: "complete_update", update_id: "u" }), 1, msg);
  });

  it("an update accepted by this task cannot complete in it: its handler starts from update_accepted, in the next task", () => {
    // Allowing it would write update_completed before update_accepted and leave the update "accepted".
    rejected(
      ctx({ requestedUpdates: new Set(["u"]) }),
      cmds({ type: "accept_update", update_id: "u" }, { type: "complete_update", update_id: "u", result: 1 }),
      1,
      "update u is accepted by this task: its handler runs from the next workflow task, so it cannot complete in this one",
    );
  });
});

describe("expiredTimeout", () => {
  it("schedule-to-close wins over start-to-close and heartbeat, in every state", () => {
    const a = act({ schedule_to_close_timeout: 10, start_to_close_timeout: 5, heartbeat_timeout: 2 });
    expect(expiredTimeout(a, T + 10_000)).toBe("schedule_to_close");
    expect(expiredTimeout(a, T + 9_999)).toBe("start_to_close");
    expect(expiredTimeout({ ...a, state: "scheduled", startedAt: null }, T + 10_000)).toBe("schedule_to_close");
    expect(expiredTimeout({ ...a, state: "backing_off", nextAttemptAt: T + 20_000 }, T + 10_000)).toBe("schedule_to_close");
  });

  it("start-to-close: exact boundary, and only while started", () => {
    const a = act({ start_to_close_timeout: 30 });
    expect(expiredTimeout(a, T + 29_999)).toBeNull();
    expect(expiredTimeout(a, T + 30_000)).toBe("start_to_close");
    expect(expiredTimeout({ ...a, state: "scheduled", startedAt: null }, T + 999_999)).toBeNull();
    expect(expiredTimeout({ ...a, state: "backing_off" }, T + 999_999)).toBeNull();
    expect(expiredTimeout({ ...a, startedAt: null }, T + 999_999)).toBeNull();
  });

  it("start-to-close wins over heartbeat when both are due", () => {
    expect(expiredTimeout(act({ start_to_close_timeout: 10, heartbeat_timeout: 10 }), T + 10_000)).toBe("start_to_close");
  });

  it("heartbeat counts from the last heartbeat, else from the start", () => {
    const a = act({ start_to_close_timeout: 600, heartbeat_timeout: 5 });
    expect(expiredTimeout(a, T + 4_999)).toBeNull();
    expect(expiredTimeout(a, T + 5_000)).toBe("heartbeat");
    const beat = { ...a, lastHeartbeatAt: T + 20_000 };
    expect(expiredTimeout(beat, T + 24_999)).toBeNull();
    expect(expiredTimeout(beat, T + 25_000)).toBe("heartbeat");
    expect(expiredTimeout(act({ start_to_close_timeout: 600 }), T + 599_999)).toBeNull();
  });
});

describe("activityDeadline", () => {
  const D = 60_000; // dispatch timeout
  it("started: the earliest of schedule-to-close, start-to-close and heartbeat", () => {
    const opts = { schedule_to_close_timeout: 100, start_to_close_timeout: 30, heartbeat_timeout: 10 };
    const a = act(opts, { scheduledAt: T - 60_000, lastHeartbeatAt: T + 5_000 });
    expect(activityDeadline(a, D)).toBe(T + 15_000); // heartbeat
    expect(activityDeadline({ ...a, lastHeartbeatAt: T + 25_000 }, D)).toBe(T + 30_000); // start-to-close
    expect(activityDeadline({ ...a, scheduledAt: T - 80_000, lastHeartbeatAt: T + 25_000 }, D)).toBe(T + 20_000); // schedule-to-close
    expect(activityDeadline(act({ start_to_close_timeout: 30, heartbeat_timeout: 10 }), D)).toBe(T + 10_000); // heartbeat from start
  });

  it("started and not acked: the delivery ack timeout", () => {
    expect(DELIVERY_ACK_TIMEOUT_MS).toBe(5_000);
    expect(activityDeadline(act({ start_to_close_timeout: 30 }, { acked: false }), D)).toBe(T + 5_000);
    expect(activityDeadline(act({ start_to_close_timeout: 30, heartbeat_timeout: 3 }, { acked: false }), D)).toBe(T + 3_000);
    expect(activityDeadline(act({ start_to_close_timeout: 30 }, { acked: true }), D)).toBe(T + 30_000);
  });

  it("scheduled: dispatch timeout from dispatchedAt, or schedule-to-close if sooner", () => {
    const s = { state: "scheduled" as const, startedAt: null, dispatchedAt: T + 1_000 };
    expect(activityDeadline(act({ start_to_close_timeout: 1 }, s), D)).toBe(T + 61_000);
    expect(activityDeadline(act({ schedule_to_close_timeout: 20 }, s), D)).toBe(T + 20_000);
    expect(activityDeadline(act({ schedule_to_close_timeout: 20 }, { ...s, dispatchedAt: null }), D)).toBe(T + 20_000);
    expect(activityDeadline(act({}, { ...s, dispatchedAt: null }), D)).toBe(Number.POSITIVE_INFINITY); // nothing to wait for
  });

  it("backing off: the next attempt (stale start and dispatch times ignored), or schedule-to-close if sooner", () => {
    const b = { state: "backing_off" as const, startedAt: T - 100_000, dispatchedAt: T - 100_000, acked: false, nextAttemptAt: T + 8_000 };
    expect(activityDeadline(act({ start_to_close_timeout: 30, heartbeat_timeout: 1 }, b), D)).toBe(T + 8_000);
    expect(activityDeadline(act({ schedule_to_close_timeout: 7 }, b), D)).toBe(T + 7_000);
  });
});

describe("deliveryLost", () => {
  it("a started, unacked attempt is lost at startedAt + 5 s exactly", () => {
    const a = act({}, { acked: false, startedAt: T + 100 });
    expect(deliveryLost(a, T + 5_099)).toBe(false);
    expect(deliveryLost(a, T + 5_100)).toBe(true);
  });

  it("never when acked, not started, or backing off", () => {
    expect(deliveryLost(act({}, { acked: true }), T + 1e9)).toBe(false);
    expect(deliveryLost(act({}, { acked: false, state: "scheduled", startedAt: null }), T + 1e9)).toBe(false);
    expect(deliveryLost(act({}, { acked: false, state: "backing_off" }), T + 1e9)).toBe(false);
  });
});

describe("retryPolicyOf and afterFailedAttempt", () => {
  const err = { type: "Error", non_retryable: false };

  it("retryPolicyOf lays the call's policy over the defaults", () => {
    expect(retryPolicyOf(resolveActivityOptions({}))).toEqual({ initial_interval: 1, backoff_coefficient: 2, maximum_attempts: 0, non_retryable_error_types: [] });
    expect(retryPolicyOf(resolveActivityOptions({ retry: { maximum_attempts: 3, maximum_interval: 9 } }))).toEqual({ ...DEFAULT_RETRY_POLICY, maximum_attempts: 3, maximum_interval: 9 });
  });

  it.each<[ActivityOptions["retry"], number, number]>([
    [undefined, 1, 1_000],
    [undefined, 3, 4_000],
    [undefined, 8, 100_000], // 128 s capped at 100 x initial
    [{ initial_interval: 2, backoff_coefficient: 3, maximum_interval: 30 }, 1, 2_000],
    [{ initial_interval: 2, backoff_coefficient: 3, maximum_interval: 30 }, 3, 18_000],
    [{ initial_interval: 2, backoff_coefficient: 3, maximum_interval: 30 }, 4, 30_000],
    [{ initial_interval: 0.25, backoff_coefficient: 1.5 }, 3, 563], // 562.5 ms rounds
  ])("retry %o after attempt %i: next attempt in %i ms", (retry, attempt, delayMs) => {
    const a = act(retry === undefined ? {} : { retry }, { attempt });
    expect(afterFailedAttempt(a, err, T + 50)).toEqual({ kind: "retry", nextAttemptAt: T + 50 + delayMs, attempt: attempt + 1 });
  });

  it("maximum_attempts counts the first attempt", () => {
    const opts = { retry: { maximum_attempts: 3 } };
    expect(afterFailedAttempt(act(opts, { attempt: 2 }), err, T)).toEqual({ kind: "retry", nextAttemptAt: T + 2_000, attempt: 3 });
    expect(afterFailedAttempt(act(opts, { attempt: 3 }), err, T)).toEqual({ kind: "final" });
  });

  it("non-retryable failures and error types are final; other types retry", () => {
    const opts = { retry: { non_retryable_error_types: ["BadInput"] } };
    expect(afterFailedAttempt(act(opts), { type: "Error", non_retryable: true }, T)).toEqual({ kind: "final" });
    expect(afterFailedAttempt(act(opts), { type: "BadInput", non_retryable: false }, T)).toEqual({ kind: "final" });
    expect(afterFailedAttempt(act(opts), { type: "Timeout", non_retryable: false }, T)).toEqual({ kind: "retry", nextAttemptAt: T + 1_000, attempt: 2 });
  });

  it("a schedule-to-close timeout is final; start-to-close and heartbeat timeouts retry", () => {
    const a = act({ start_to_close_timeout: 5 });
    expect(afterFailedAttempt(a, err, T, "schedule_to_close")).toEqual({ kind: "final" });
    expect(afterFailedAttempt(a, err, T, "start_to_close")).toEqual({ kind: "retry", nextAttemptAt: T + 1_000, attempt: 2 });
    expect(afterFailedAttempt(a, err, T, "heartbeat")).toEqual({ kind: "retry", nextAttemptAt: T + 1_000, attempt: 2 });
  });

  it("a retry that would start at or after the schedule-to-close deadline is final", () => {
    const a = act({ schedule_to_close_timeout: 10 }); // deadline T + 10 000; first retry delay 1 s
    expect(afterFailedAttempt(a, err, T + 8_999)).toEqual({ kind: "retry", nextAttemptAt: T + 9_999, attempt: 2 });
    expect(afterFailedAttempt(a, err, T + 9_000)).toEqual({ kind: "final" });
  });
});
