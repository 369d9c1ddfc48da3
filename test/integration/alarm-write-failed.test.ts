import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { api, poll, uid } from "./helpers.ts";
import { alarmOf, createSchedule, eventually, scheduleObject, setNow } from "./schedule-helpers.ts";

// The ExecutionObject and the ScheduleObject remember when their alarm is armed, to skip writing it
// again (the ExecutionObject for a later deadline, the ScheduleObject for the same time). A setAlarm
// that failed armed nothing: the object must forget it, or each later change would trust an alarm
// that does not exist and what it stands for (a timeout, a fire) happen late or never.

type AlarmStorage = Record<"setAlarm", (...a: unknown[]) => Promise<void>>;

it("a failed alarm write is forgotten: the next change arms the alarm it needs", async () => {
  const id = uid("alarm-fail");
  const queue = uid("q");
  const t0 = Date.now();
  setNow(t0);
  await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue, execution_timeout: 3_600 });
  const stub = env.EXECUTIONS.getByName(`default/${id}`);
  const alarm = () => runInDurableObject(stub, async (_o, state) => state.storage.getAlarm());
  // Whatever the start armed first has run: armed for the first task's dispatch timeout (60 s).
  setNow(t0 + 5_000);
  await eventually(async () => {
    await runDurableObjectAlarm(stub);
    expect(await alarm()).toBe(t0 + 60_000);
  });
  let setAlarm!: AlarmStorage["setAlarm"];
  await runInDurableObject(stub, async (_o, state) => {
    const storage = state.storage as unknown as AlarmStorage;
    setAlarm = storage.setAlarm;
    storage.setAlarm = () => Promise.reject(new Error("injected: setAlarm failed"));
  });
  // The lease needs the alarm at its 5 s delivery deadline (10 s); that write fails.
  const wt = await poll("workflow", queue);
  await runInDurableObject(stub, async (_o, state) => {
    (state.storage as unknown as AlarmStorage).setAlarm = setAlarm;
  });
  expect(await alarm()).toBe(t0 + 60_000);
  // The acknowledgement moves the next deadline to the 10 s workflow task timeout (15 s): armed now.
  expect((await api("POST", "/v1/workflows/tasks/ack", { task_token: wt.body.task_token })).status).toBe(200);
  await eventually(async () => expect(await alarm()).toBe(t0 + 15_000));
});

it("a schedule's failed alarm write is forgotten: the next change writes the alarm for its next fire", async () => {
  const sid = uid("alarm-fail-schedule");
  const t0 = Date.UTC(2027, 9, 4);
  setNow(t0);
  await createSchedule({ schedule_id: sid, workflow: "w", key: sid, cron: "0 * * * *" });
  await eventually(async () => expect(await alarmOf(sid)).toBe(t0 + 3_600_000));
  const stub = scheduleObject(sid);
  let setAlarm!: AlarmStorage["setAlarm"];
  await runInDurableObject(stub, async (_o, state) => {
    const storage = state.storage as unknown as AlarmStorage;
    setAlarm = storage.setAlarm;
    storage.setAlarm = () => Promise.reject(new Error("injected: setAlarm failed"));
  });
  // The new spec's first fire is at 00:30; writing that alarm fails, so it stays at 01:00.
  expect((await api("PATCH", `/v1/workflows/schedules/${sid}`, { cron: "30 * * * *" })).status).toBe(200);
  await runInDurableObject(stub, async (_o, state) => {
    (state.storage as unknown as AlarmStorage).setAlarm = setAlarm;
  });
  expect(await alarmOf(sid)).toBe(t0 + 3_600_000);
  // A change that keeps the plan (a note) writes the alarm the schedule needs: 00:30, not 01:00.
  expect((await api("PATCH", `/v1/workflows/schedules/${sid}`, { note: "again" })).status).toBe(200);
  await eventually(async () => expect(await alarmOf(sid)).toBe(t0 + 1_800_000));
});
