import { describe, expect, it } from "vitest";
import { api } from "../helpers.ts";
import { describeSchedule, eventually, iso, setNow } from "../schedule-helpers.ts";
import { changeAsRunBegins, preparedSchedule } from "./prepared-helpers.ts";

// The list (the D1 index) after a change whose withdraw of the prepared run comes back refused:
// the run had begun, so the schedule adopts it as its fire, and the list shows that fire as the
// schedule's own describe does, not what the change queued before the withdraw was answered.

async function listed(sid: string) {
  const r = await api("GET", `/v1/workflows/schedules?key=${encodeURIComponent(sid)}`);
  expect(r.status).toBe(200);
  return r.body.schedules;
}

describe("the index row when a withdraw adopts the prepared run", () => {
  it("a pause whose withdraw reaches a run already begun lists the fire it adopted (last fire, repeat count)", async () => {
    const { sid, fire } = await preparedSchedule("prep-ix-skew", { overlap: "SKIP" });
    const paused = await changeAsRunBegins(fire, "POST", `/v1/workflows/schedules/${sid}/pause`, { note: "skew" });
    expect(paused).toMatchObject({ status: "paused", current_repeat: 1, counters: { fired: 1 } });
    expect((await describeSchedule(sid)).last_fire_at).toBe(iso(fire));
    await eventually(async () => expect(await listed(sid)).toMatchObject([{ schedule_id: sid, status: "paused", next_fire_at: null, last_fire_at: iso(fire), current_repeat: 1 }]));
  });

  it("a PATCH whose withdraw reaches a run already begun lists the next fire, not the one it adopted", async () => {
    const { sid, fire } = await preparedSchedule("prep-ix-patch", { overlap: "SKIP" });
    await changeAsRunBegins(fire, "PATCH", `/v1/workflows/schedules/${sid}`, { input: { v: 2 } });
    const d = await describeSchedule(sid);
    expect(d).toMatchObject({ last_fire_at: iso(fire), current_repeat: 1 });
    await eventually(async () => expect(await listed(sid)).toMatchObject([{ schedule_id: sid, status: "active", next_fire_at: d.next_fire_times[0].nominal, last_fire_at: iso(fire), current_repeat: 1 }]));
  });
  it("a PATCH of the spec whose withdraw reaches a run already begun counts that run as the old spec's, as when the schedule saw it begin", async () => {
    // The run began before the new spec (its fire time had come): as one the schedule adopts
    // before re-planning, it uses none of the new spec's repeat_count, nor moves its plan.
    const { sid, fire } = await preparedSchedule("prep-ix-respec", { overlap: "ALLOW_ALL" });
    const patched = await changeAsRunBegins(fire, "PATCH", `/v1/workflows/schedules/${sid}`, { interval_seconds: 300, repeat_count: 2 });
    expect(patched.spec).toMatchObject({ repeat_count: 2 });
    const d = await describeSchedule(sid);
    expect(d).toMatchObject({ last_fire_at: iso(fire), current_repeat: 0, counters: { fired: 1 } });
    expect(d.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual([iso(fire - 1 + 5 * 60_000), iso(fire - 1 + 10 * 60_000)]);
  });
});
