import { describe, expect, it } from "vitest";
import { api } from "../helpers.ts";
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
});
