import { describe, expect, it } from "vitest";
import { api } from "./helpers.ts";
import { alarmAt, completeRun, describeSchedule, expectNoRun, expectRunning, minutely, runId, setNow, succeed, T } from "./schedule-helpers.ts";

// A trigger that waits for the overlap slot answers `buffered` with the run id it will start under
// (2af8a29). Which run really starts, under every policy that lets a fire wait: BUFFER_ONE keeps
// the first waiting fire (a newer one is skipped, it does not replace it); BUFFER_ALL keeps each;
// a newer CANCEL_OTHER fire replaces whatever waits (then the id answered never runs).

const M = 60_000;
const t0 = T("2027-03-01T00:00:00.000Z");

/** A minutely schedule whose first run (t0 + 1 min) stays open: no worker polls its queue. */
async function busy(overlap: string) {
  const { sid, queue, run } = await minutely("tw", "trigger-wait-wf", overlap, t0);
  await alarmAt(sid, t0 + M);
  await expectRunning(run(1));
  setNow(t0 + M + 5_000);
  /** The run a trigger with `requestId` made now starts under. */
  const triggered = (requestId: string) => runId(sid, t0 + M + 5_000, `:trigger:${requestId}`);
  const trigger = (body: Record<string, unknown>) => api("POST", `/v1/workflows/schedules/${sid}/trigger`, body);
  return { sid, queue, first: run(1), trigger, triggered };
}

describe("a trigger waiting for the slot runs under the id it answered", () => {
  it("BUFFER_ONE: a second trigger is skipped, not put in the first's place; the first starts under its id", async () => {
    const { sid, queue, first, trigger, triggered } = await busy("BUFFER_ONE");
    const a = await trigger({ request_id: "one-a" });
    expect(a.body).toEqual({ run_id: triggered("one-a"), started: false, outcome: "buffered" });
    const b = await trigger({ request_id: "one-b" });
    expect(b.body).toEqual({ run_id: "", started: false, outcome: "skipped_overlap" });
    // A retry of the first gets its answer again and queues nothing more.
    expect((await trigger({ request_id: "one-a" })).body).toEqual(a.body);
    expect((await describeSchedule(sid)).buffered).toBe(1);

    await completeRun(queue, first, succeed());
    await expectRunning(a.body.run_id);
    await expectNoRun(triggered("one-b"));
  });

  it("BUFFER_ALL: each trigger starts under its own answered id, in order", async () => {
    const { queue, first, trigger } = await busy("BUFFER_ALL");
    const a = await trigger({ request_id: "all-a", input: { n: 1 } });
    const b = await trigger({ request_id: "all-b", input: { n: 2 } });
    expect([a.body.outcome, b.body.outcome]).toEqual(["buffered", "buffered"]);
    expect(a.body.run_id).not.toBe(b.body.run_id);

    await completeRun(queue, first, succeed());
    expect((await expectRunning(a.body.run_id)).input).toEqual({ n: 1 });
    await completeRun(queue, a.body.run_id, succeed());
    expect((await expectRunning(b.body.run_id)).input).toEqual({ n: 2 });
  });

  it("CANCEL_OTHER: the trigger starts under its id once the cancelled run closes; a newer CANCEL_OTHER fire replaces a waiting trigger", async () => {
    const { sid, queue, first, trigger, triggered } = await busy("BUFFER_ALL");
    const waiting = await trigger({ request_id: "co-a" });
    expect(waiting.body).toMatchObject({ run_id: triggered("co-a"), outcome: "buffered" });
    const newest = await trigger({ request_id: "co-b", overlap: "CANCEL_OTHER" });
    expect(newest.body).toEqual({ run_id: triggered("co-b"), started: false, outcome: "buffered" });
    expect((await describeSchedule(sid)).buffered).toBe(1);

    await completeRun(queue, first, [{ type: "cancel_workflow" }]);
    await expectRunning(newest.body.run_id);
    // The first trigger's answer named a run the newer fire took the place of: it never runs.
    await expectNoRun(waiting.body.run_id);
  });
});
