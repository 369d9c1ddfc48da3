import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { storeOf } from "../hand-worker.ts";
import { api, uid } from "../helpers.ts";
import { alarmAt, alarmOf, eventually, expectNoRun, expectRunning, setNow, T } from "../schedule-helpers.ts";
import { poll, preparedSchedule, queuedTasks, S } from "./prepared-helpers.ts";

// The first task of a prepared run, held by its queue until the fire. A run withdrawn and then
// prepared again for the same fire has the same execution id and the same task: the queue must
// hold it until the new run's time, not the withdrawn run's.

describe("a prepared run's held first task", () => {
  it("prepared again for the same fire at another time (a jitter change) is held until the new run's start, not the withdrawn run's", async () => {
    const { sid, queue, fire, prep, run } = await preparedSchedule("prep-rejit", { interval_seconds: undefined, cron: "*/10 * * * *" });
    expect((await queuedTasks(queue))[0]!.visible_at).toBe(fire);
    setNow(prep + S);
    const upd = await api("PATCH", `/v1/workflows/schedules/${sid}`, { jitter_seconds: 300 });
    expect(upd.status, JSON.stringify(upd.body)).toBe(200);
    await expectNoRun(run);
    // The schedule prepares the same fire (same execution id) again, jittered later.
    const again = await eventually(async () => {
      const at = await alarmOf(sid);
      expect(at).not.toBeNull();
      return at!;
    });
    expect(await alarmAt(sid, Math.max(again, prep + S))).toBe(true);
    const started = T((await expectRunning(run)).started_at);
    expect(started).toBeGreaterThan(fire);
    // At the withdrawn run's time this run has not begun: no worker may take its task yet.
    setNow(fire);
    expect((await poll(queue)).status).toBe(204);
    setNow(started);
    expect((await poll(queue)).body).toMatchObject({ execution_id: run, available_at: new Date(started).toISOString() });
  });

  it("prepared again on another task queue (and later): the withdrawn run's entry left in the old queue leases nothing there and neither begins the run nor releases its task early", async () => {
    const { sid, queue, fire, prep, run } = await preparedSchedule("prep-requeue", { interval_seconds: undefined, cron: "*/10 * * * *" });
    const moved = uid("q-moved");
    setNow(prep + S);
    const upd = await api("PATCH", `/v1/workflows/schedules/${sid}`, { jitter_seconds: 300, task_queue: moved });
    expect(upd.status, JSON.stringify(upd.body)).toBe(200);
    await expectNoRun(run);
    const again = await eventually(async () => {
      const at = await alarmOf(sid);
      expect(at).not.toBeNull();
      return at!;
    });
    expect(await alarmAt(sid, Math.max(again, prep + S))).toBe(true);
    const started = T((await expectRunning(run)).started_at);
    expect(started).toBeGreaterThan(fire);
    expect(await queuedTasks(queue)).toHaveLength(1); // the withdrawn run's entry, visible at `fire`
    // At the withdrawn run's time a worker of the old queue takes that entry while one waits on the new queue.
    setNow(fire);
    const waiting = api("POST", "/v1/workflows/tasks/poll", { task_queue: moved, kind: "workflow", identity: "moved", wait_seconds: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect((await poll(queue)).status).toBe(204);
    expect((await waiting).status).toBe(204);
    const startBy = await runInDurableObject(env.EXECUTIONS.getByName(`default/${run}`), async (obj) => storeOf(obj).run()!.start_by);
    expect(startBy).not.toBeNull();
    setNow(started);
    expect((await poll(moved)).body).toMatchObject({ execution_id: run, available_at: new Date(started).toISOString() });
  });
});
