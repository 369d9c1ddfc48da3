import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, alarmOf, createSchedule, describeSchedule, eventually, expectNoRun, getRun, iso, runId, runHistoryTypes, setNow, T } from "./schedule-helpers.ts";

const M = 60_000;

/** A minutely schedule with a 250-fire backfill under `overlap` (three batches: 100, 100, 50), every batch's alarm run. */
async function backfilledInBatches(overlap: string, t0: number) {
  const sid = uid(`bf-newest-${overlap.toLowerCase()}`);
  const queue = uid("q-bf-newest");
  setNow(t0);
  await createSchedule({ schedule_id: sid, workflow: "bf-newest-wf", key: sid, cron: "* * * * *", task_queue: queue });
  const from = t0 - 6 * 60 * M;
  expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 249 * M), overlap })).body).toEqual({ backfill_id: 1, fires: 250 });
  for (let batch = 0; batch < 3; batch++) {
    expect(await alarmOf(sid)).toBe(t0);
    await alarmAt(sid, t0);
  }
  return { sid, queue, bf: (m: number) => runId(sid, from + m * M, ":backfill-1") };
}

// Between the batches of a backfill, as inside one, a CANCEL_OTHER or TERMINATE_OTHER fire takes
// the place of the run before it: each batch's newest fire cancels or terminates the run the batch
// before started (or takes the place of the fire waiting for it), and the last one runs.
describe("a backfill under CANCEL_OTHER or TERMINATE_OTHER across its batches", () => {
  it("TERMINATE_OTHER: each batch's newest fire terminates the previous batch's run and starts", async () => {
    const { sid, bf } = await backfilledInBatches("TERMINATE_OTHER", T("2027-08-01T12:00:00.000Z"));
    expect((await getRun(bf(99))).body.status).toBe("terminated");
    expect((await getRun(bf(199))).body.status).toBe("terminated");
    expect((await getRun(bf(249))).body.status).toBe("running");
    await expectNoRun(bf(98));
    expect(await describeSchedule(sid)).toMatchObject({ counters: { fired: 3, skipped_overlap: 247 }, running: [bf(249)], buffered: 0, backfills: [] });
  });

  it("CANCEL_OTHER: the last batch's newest fire waits for the first batch's run to cancel, and starts when it closes", async () => {
    const { sid, queue, bf } = await backfilledInBatches("CANCEL_OTHER", T("2027-08-02T12:00:00.000Z"));
    expect(await describeSchedule(sid)).toMatchObject({ counters: { fired: 1, skipped_overlap: 248 }, running: [bf(99)], buffered: 1, backfills: [] });
    expect(await runHistoryTypes(bf(99))).toContain("execution_cancel_requested");
    await expectNoRun(bf(199));
    const task = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "bf-newest", wait_seconds: 2 });
    expect(task.body.execution_id).toBe(bf(99));
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: [{ type: "cancel_workflow" }] })).status).toBe(200);
    await eventually(async () => expect((await getRun(bf(249))).body.status).toBe("running"));
    expect(await describeSchedule(sid)).toMatchObject({ counters: { fired: 2, skipped_overlap: 248 }, running: [bf(249)], buffered: 0 });
  });
});
