import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { createSchedule, setNow, T } from "./schedule-helpers.ts";

// DESIGN "Nominal vs actual time": jitter is a hash of (schedule id, nominal time) that never moves a
// fire past the next nominal time. A preview with the schedule's id shows the instants it will run at.

describe("preview and describe agree on actual times", () => {
  it("with repeat_count and a jitter longer than the gap between fires, the last run's actual time too", async () => {
    const t0 = T("2027-08-10T00:00:00.000Z");
    setNow(t0);
    const sid = uid("preview-jitter");
    const spec = { cron: "*/10 * * * *", repeat_count: 3, jitter_seconds: "1h" };
    const preview = await api("POST", "/v1/workflows/schedules/preview", { ...spec, schedule_id: sid, count: 3 });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    const created = await createSchedule({ schedule_id: sid, workflow: "preview-wf", key: sid, ...spec });
    expect(created.next_fire_times).toHaveLength(3);
    expect(preview.body.fire_times).toEqual(created.next_fire_times);
  });
});
