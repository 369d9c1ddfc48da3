import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("times past 9999-12-31T23:59:59.999Z", () => {
  it.each([
    ["at", { at: "9999-12-31T23:00:00-05:00" }],
    ["at", { at: ["2030-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00"] }],
    ["start_at", { cron: "0 0 * * *", start_at: "9999-12-31T23:30:00-01:00" }],
    ["end_at", { cron: "0 0 * * *", end_at: "9999-12-31T20:00:00-04:00" }],
    ["start_at", { cron: "0 0 * * *", start_at: "0000-01-01T00:00:00+00:01" }],
  ])("a create with %s outside the range is a 422 naming the field, and writes nothing", async (field, spec) => {
    const wf = uid("range-wf");
    const r = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", ...spec });
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body.field).toMatch(new RegExp(`^${field}`));
    expect(r.body.detail).toMatch(/out of range/);
    const listed = await api("GET", `/v1/workflows/schedules?workflow=${wf}`);
    expect(listed.body.schedules).toEqual([]);
  });

  it("preview and describe of a schedule near the end list only the fires inside the range", async () => {
    const preview = await api("POST", "/v1/workflows/schedules/preview", { cron: "0 0 1 1 *", after: "9997-06-01T00:00:00Z", count: 10, jitter_seconds: 3_600 });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.fire_times.map((f: { nominal: string }) => f.nominal)).toEqual(["9998-01-01T00:00:00.000Z", "9999-01-01T00:00:00.000Z"]);
    for (const f of preview.body.fire_times) expect(f.actual).toMatch(RFC3339);

    const created = await api("POST", "/v1/workflows/schedules", { workflow: uid("range-wf"), key: "k", interval_seconds: 100 * 366 * 86_400, start_at: "9990-01-01T00:00:00Z" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual(["9990-01-01T00:00:00.000Z"]);
    expect(created.body.next_run_at).toMatch(RFC3339);
  });

  it("the last instant of the range itself is accepted", async () => {
    const r = await api("POST", "/v1/workflows/schedules", { workflow: uid("range-wf"), key: "k", at: "9999-12-31T23:59:59.999Z" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.next_fire_times).toEqual([{ nominal: "9999-12-31T23:59:59.999Z", actual: "9999-12-31T23:59:59.999Z" }]);
  });
});
