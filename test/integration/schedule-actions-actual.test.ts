import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, expectRunning, iso, runId, setNow, succeed, T } from "./schedule-helpers.ts";

const S = 1_000;
const M = 60_000;

type Action = { nominal: string | null; actual: string | null; run_id: string | null; kind: string; outcome: string };

/** The recent action recording `runId`'s start. */
async function startAction(sid: string, id: string): Promise<Action> {
  const d = await describeSchedule(sid);
  const a = (d.recent_actions as Action[]).find((x) => x.run_id === id && x.kind !== "retry");
  expect(a, `no action for ${id}: ${JSON.stringify(d.recent_actions)}`).toBeDefined();
  return a!;
}

// describe's recent_actions give each run its nominal and actual time. A scheduled fire's actual
// time is its payload's `actual_timestamp`; a backfilled run's action showed its nominal time
// instead (its payload says when it started), and a trigger that waited for a slot showed when it
// was asked for, not when it started.
describe("recent_actions: a trigger's or backfill's run shows the actual time its payload has", () => {
  it("a backfilled run: the time the backfill started it, not its nominal time", async () => {
    const t0 = T("2027-06-01T12:00:00.000Z");
    const sid = uid("actual-bf");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "actual-wf", key: sid, cron: "0 * * * *", overlap: "ALLOW_ALL", task_queue: uid("q-actual") });
    const from = T("2027-06-01T06:00:00Z");
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 2 * 3_600_000) })).status).toBe(202);
    const started = t0 + 7 * S;
    await alarmAt(sid, started);
    for (const h of [0, 1, 2]) {
      const id = runId(sid, from + h * 3_600_000, ":backfill-1");
      const run = await expectRunning(id);
      expect(run.schedule.actual_timestamp).toBe(iso(started));
      expect(await startAction(sid, id)).toMatchObject({ kind: "backfill", outcome: "started", nominal: iso(from + h * 3_600_000), actual: run.schedule.actual_timestamp });
    }
  });

  it("a trigger that waited for the slot: the time it started, as its payload says", async () => {
    const t0 = T("2027-06-02T00:00:00.000Z");
    const sid = uid("actual-trig");
    const queue = uid("q-actual");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "actual-wf", key: sid, cron: "* * * * *", overlap: "BUFFER_ONE", task_queue: queue });
    await alarmAt(sid, t0 + M);
    setNow(t0 + M + 10 * S);
    const r = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "later" });
    expect(r.body).toMatchObject({ outcome: "buffered" });
    // The minute's run closes 20 s later: the trigger takes the slot then.
    setNow(t0 + M + 30 * S);
    await completeRun(queue, runId(sid, t0 + M), succeed());
    const run = await eventually(async () => {
      const got = await api("GET", `/v1/workflows/executions/${encodeURIComponent(r.body.run_id)}`);
      expect(got.status).toBe(200);
      return got.body;
    });
    expect(run.schedule.actual_timestamp).toBe(iso(t0 + M + 30 * S));
    const d = await describeSchedule(sid);
    const actions = (d.recent_actions as Action[]).filter((a) => a.kind === "trigger");
    expect(actions.map((a) => [a.outcome, a.actual])).toEqual([
      ["started", iso(t0 + M + 30 * S)],
      ["buffered", iso(t0 + M + 10 * S)],
    ]);
  });
});
