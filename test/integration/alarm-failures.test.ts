import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { ExecutionStore } from "../../src/objects/execution-store.ts";
import { AlarmBackoff } from "../../src/objects/alarm-backoff.ts";
import { ExecutionObject } from "../../src/objects/execution-object.ts";
import { ScheduleObject } from "../../src/objects/schedule-object.ts";
import { api, uid } from "./helpers.ts";
import { alarmAt, alarmOf, createSchedule, describeSchedule, expectAlarm, expectRunning, getRun, runHistoryTypes, runId, setNow, T } from "./schedule-helpers.ts";

// DESIGN: alarm() never throws because of one bad run: it records the failure and re-arms. A
// failure that repeats must not become an alarm loop either (an alarm re-armed at a past-due
// instant fires again at once): the next alarm backs off, 1 s doubling up to 5 minutes, and the
// first alarm that succeeds ends the backoff. Faults are injected into the real objects' code for
// the duration of one test.

/** An every-10-minutes schedule created at `t0`; returns its id and first fire, its alarm armed there. */
async function tenMinuteSchedule(prefix: string, t0: number): Promise<{ sid: string; fire: number }> {
  const sid = uid(prefix);
  setNow(t0);
  await createSchedule({ schedule_id: sid, workflow: "af-wf", key: sid, interval_seconds: 600, task_queue: uid("q-af") });
  const fire = t0 + 600_000;
  await expectAlarm(sid, fire);
  return { sid, fire };
}

/** Runs `fn` while every ScheduleObject's state transition (its alarm's work) throws. */
async function withApplyFault(fn: () => Promise<void>): Promise<void> {
  const proto = ScheduleObject.prototype as unknown as { apply: (...args: unknown[]) => void };
  const original = proto.apply;
  proto.apply = () => {
    throw new Error("injected fault");
  };
  try {
    await fn();
  } finally {
    proto.apply = original;
  }
}

describe("an alarm whose work fails", () => {
  it("schedule: is recorded in recent_actions, retried after 1 s then 2 s (not at once), and resets on success", async () => {
    const { sid, fire } = await tenMinuteSchedule("alarm-fail", T("2027-08-01T00:00:00.000Z"));
    await withApplyFault(async () => {
      // The alarm resolves (workerd would otherwise retry it on its own schedule) and the fire,
      // still due, waits 1 s, then 2 s: it is not re-run in a loop.
      expect(await alarmAt(sid, fire)).toBe(true);
      expect(await alarmOf(sid)).toBe(fire + 1_000);
      expect(await alarmAt(sid, fire + 1_000)).toBe(true);
      expect(await alarmOf(sid)).toBe(fire + 1_000 + 2_000);
    });
    const d = await describeSchedule(sid);
    expect(d.recent_actions.filter((a: { kind: string }) => a.kind === "alarm").map((a: { outcome: string }) => a.outcome)).toEqual([
      "failed: injected fault; retrying in 2s",
      "failed: injected fault; retrying in 1s",
    ]);
    expect(d.counters.fired).toBe(0);
    // Fixed: the next alarm runs the fire once and the schedule is back on its plan.
    expect(await alarmAt(sid, fire + 3_000)).toBe(true);
    expect((await describeSchedule(sid)).counters.fired).toBe(1);
    expect(await runHistoryTypes(runId(sid, fire))).toContain("execution_started");
    await expectAlarm(sid, fire + 600_000);
  });

  it("schedule: a backfill requested while the alarm backs off does not make it fire at once", async () => {
    const { sid, fire } = await tenMinuteSchedule("alarm-fail-backfill", T("2027-08-04T00:00:00.000Z"));
    await withApplyFault(async () => {
      expect(await alarmAt(sid, fire)).toBe(true);
      expect(await alarmOf(sid)).toBe(fire + 1_000);
    });
    const r = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: new Date(fire - 3_600_000).toISOString(), end_at: new Date(fire - 1).toISOString() });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(await alarmOf(sid)).toBe(fire + 1_000);
  });

  it("schedule: when planning the next alarm fails too, the alarm still resolves and retries on the backoff", async () => {
    const { sid, fire } = await tenMinuteSchedule("alarm-fail-plan", T("2027-08-02T00:00:00.000Z"));
    const proto = ScheduleObject.prototype as unknown as { apply: (...args: unknown[]) => void; rearm: () => void };
    const { apply, rearm } = proto;
    proto.apply = () => {
      throw new Error("injected fault");
    };
    proto.rearm = () => {
      throw new Error("injected planning fault");
    };
    try {
      expect(await alarmAt(sid, fire)).toBe(true);
      expect(await alarmOf(sid)).toBe(fire + 2_000); // the second failure in a row: 2 s
    } finally {
      proto.apply = apply;
      proto.rearm = rearm;
    }
    expect(await alarmAt(sid, fire + 2_000)).toBe(true);
    expect((await describeSchedule(sid)).counters.fired).toBe(1);
  });

  it("execution: a failing part backs the alarm off while the other parts still run", async () => {
    const id = uid("alarm-fail-ex");
    const queue = uid("q-afx");
    const t0 = Date.now();
    clock.now = () => t0;
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    const wt = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "t", wait_seconds: 1 });
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "start_timer", seq: 1, duration: 10 }] });
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    const alarm = () => runInDurableObject(stub, async (_o, state) => state.storage.getAlarm());
    const original = ExecutionStore.prototype.append;
    ExecutionStore.prototype.append = function (this: ExecutionStore, ...args: Parameters<ExecutionStore["append"]>) {
      if (args[0] === "timer_fired") throw new Error("injected fault");
      return original.apply(this, args);
    };
    try {
      clock.now = () => t0 + 10_000;
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(await alarm()).toBe(t0 + 10_000 + 1_000);
      clock.now = () => t0 + 11_000;
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(await alarm()).toBe(t0 + 11_000 + 2_000);
    } finally {
      ExecutionStore.prototype.append = original;
    }
    clock.now = () => t0 + 13_000;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const types = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === "timer_fired")).toHaveLength(1);
    expect(types.at(-1)).toBe("workflow_task_scheduled");
  });
});

describe("one run whose start fails in a schedule's alarm", () => {
  it("does not hold back the other fires of that alarm, and is started by the outbox's retry", async () => {
    const t0 = T("2027-08-04T00:00:00.000Z");
    const sid = uid("alarm-fail-start");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "af-wf", key: sid, interval_seconds: 600, task_queue: uid("q-af"), overlap: "ALLOW_ALL", catchup_window_seconds: "1h" });
    const [first, second, third] = [1, 2, 3].map((n) => runId(sid, t0 + n * 600_000)) as [string, string, string];
    const proto = ExecutionObject.prototype as unknown as { start: (args: { execution_id: string }, ...rest: unknown[]) => Promise<unknown> };
    const original = proto.start;
    proto.start = async function (this: unknown, args, ...rest) {
      if (args.execution_id === second) throw new Error("injected start fault");
      return original.call(this, args, ...rest);
    };
    try {
      // Back after 30 minutes: three fires are due in one alarm; the second one's start fails.
      expect(await alarmAt(sid, t0 + 30 * 60_000)).toBe(true);
      await expectRunning(first);
      await expectRunning(third);
      expect((await getRun(second)).status).toBe(404);
      expect((await describeSchedule(sid)).counters.fired).toBe(3);
      // Its start waits in the outbox, retried 1 s later.
      await expectAlarm(sid, t0 + 30 * 60_000 + 1_000);
    } finally {
      proto.start = original;
    }
    expect(await alarmAt(sid, t0 + 30 * 60_000 + 1_000)).toBe(true);
    const run = await expectRunning(second);
    expect(run.schedule).toMatchObject({ schedule_id: sid, timestamp: new Date(t0 + 2 * 600_000).toISOString() });
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 3, skipped_catchup: 0 });
    await expectAlarm(sid, t0 + 40 * 60_000);
  });
});

describe("the alarm backoff of an object evicted while its alarm keeps failing", () => {
  it("goes on from where it was (kept in the object's storage), and nothing is stored while alarms succeed", async () => {
    const { sid } = await tenMinuteSchedule("alarm-fail-evict", T("2027-08-03T00:00:00.000Z"));
    await runInDurableObject(env.SCHEDULES.getByName(`default/${sid}`), async (_obj, state) => {
      const kvTables = () => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name LIKE '%KV%'").one().n;
      const tablesBefore = kvTables();
      const first = new AlarmBackoff(state.storage);
      first.succeeded(); // the happy path reads once and writes nothing
      expect(kvTables()).toBe(tablesBefore);
      expect(first.failed(10_000)).toBe(11_000);
      expect(first.failed(11_000)).toBe(13_000);
      // A new instance (after an eviction) re-arming for a change keeps the floor: not the past-due instant.
      expect(new AlarmBackoff(state.storage).notBefore(11_500)).toBe(13_000);
      // A new instance of the object (after an eviction) continues the backoff: 4 s next, not 1 s.
      const second = new AlarmBackoff(state.storage);
      expect(second.count).toBe(2);
      expect(second.failed(13_000)).toBe(17_000);
      second.succeeded();
      const third = new AlarmBackoff(state.storage);
      expect(third.count).toBe(0);
      expect(third.notBefore(5)).toBe(5);
    });
  });
});
