import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ScheduleObject } from "../../src/objects/schedule-object.ts";
import { api, uid } from "./helpers.ts";
import { alarmAt, alarmOf, createSchedule, expectAlarm, scheduleObject, setNow, T } from "./schedule-helpers.ts";

// ScheduleObject writes its alarm only when the alarm's time changes (each setAlarm is a storage
// write): a change that leaves the next fire where it was writes none. The memo is the instance's
// own: a fresh instance (after an eviction) writes once, and an alarm that rang is armed no more,
// so an alarm run before its time (nothing due) arms the same time again.

const M = 60_000;

async function tenMinutes(prefix: string, t0: number): Promise<{ sid: string; fire: number }> {
  const sid = uid(prefix);
  setNow(t0);
  await createSchedule({ schedule_id: sid, workflow: "memo-wf", key: sid, interval_seconds: 600, task_queue: uid("q-memo") });
  await expectAlarm(sid, t0 + 10 * M);
  return { sid, fire: t0 + 10 * M };
}

/** Counts the alarm writes `fn` makes through the object's storage. */
async function alarmWrites(sid: string, fn: (obj: ScheduleObject, state: DurableObjectState) => Promise<unknown>): Promise<number> {
  return runInDurableObject(scheduleObject(sid), async (obj: ScheduleObject, state) => {
    const storage = state.storage as unknown as Record<"setAlarm" | "deleteAlarm", (...a: unknown[]) => Promise<void>>;
    const { setAlarm, deleteAlarm } = storage;
    let writes = 0;
    storage.setAlarm = (...a) => (writes++, setAlarm.apply(state.storage, a));
    storage.deleteAlarm = (...a) => (writes++, deleteAlarm.apply(state.storage, a));
    try {
      await fn(obj, state);
    } finally {
      storage.setAlarm = setAlarm;
      storage.deleteAlarm = deleteAlarm;
    }
    return writes;
  });
}

describe("the schedule's alarm", () => {
  it("is not written again by a change that leaves it where it is", async () => {
    const { sid, fire } = await tenMinutes("memo-same", T("2027-09-01T00:00:00.000Z"));
    setNow(fire - 5 * M);
    const writes = await alarmWrites(sid, async (obj) => {
      expect((await obj.update({ note: "one" }, null)).ok).toBe(true);
      expect((await obj.update({ note: "two" }, null)).ok).toBe(true);
    });
    expect(writes).toBe(0);
    expect(await alarmOf(sid)).toBe(fire);
    // A change that moves it writes it.
    expect((await api("PATCH", `/v1/workflows/schedules/${sid}`, { interval_seconds: 120 })).status).toBe(200);
    await expectAlarm(sid, fire - 3 * M);
  });

  it("is armed again at the same time by an alarm that rang before anything was due", async () => {
    const { sid, fire } = await tenMinutes("memo-early", T("2027-09-02T00:00:00.000Z"));
    expect(await alarmAt(sid, fire - M)).toBe(true);
    expect(await alarmOf(sid)).toBe(fire);
    expect(await alarmAt(sid, fire)).toBe(true);
    expect(await alarmOf(sid)).toBe(fire + 10 * M);
  });

  it("is written by a fresh instance, which trusts no memo it did not write", async () => {
    const { sid, fire } = await tenMinutes("memo-fresh", T("2027-09-03T00:00:00.000Z"));
    await runInDurableObject(scheduleObject(sid), async (_obj, state) => {
      await state.storage.deleteAlarm();
      const fresh = new ScheduleObject(state, env);
      expect((await fresh.update({ note: "after an eviction" }, null)).ok).toBe(true);
      expect(await state.storage.getAlarm()).not.toBeNull();
    });
    await expectAlarm(sid, fire);
  });
});
