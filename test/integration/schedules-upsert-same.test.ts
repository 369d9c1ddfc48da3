import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { describeSchedule, setNow, T } from "./schedule-helpers.ts";

// Polos' pattern: the app creates the user's schedule again at every login. A create that sends the
// schedule as it is writes nothing, as a PATCH that changes nothing: no new version (an editor
// holding it is not refused), no action, the same updated_at.
describe("an API create that sends a schedule as it is", () => {
  it("writes nothing: same version, actions and updated_at, and a PATCH holding the version still applies", async () => {
    const t0 = T("2027-07-01T00:00:00.000Z");
    setNow(t0);
    const body = { workflow: uid("login"), key: "user_1", cron: "0 9 * * *", timezone: "Europe/Paris", input: { user: "u1" }, overlap: "SKIP" };
    const first = await api("POST", "/v1/workflows/schedules", body);
    expect(first.status).toBe(201);
    const before = await describeSchedule(first.body.schedule_id);

    setNow(t0 + 60_000);
    for (let login = 0; login < 3; login++) {
      const again = await api("POST", "/v1/workflows/schedules", body);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ schedule_id: first.body.schedule_id, version: 1, updated_at: first.body.updated_at });
    }
    const after = await describeSchedule(first.body.schedule_id);
    expect(after.recent_actions).toEqual(before.recent_actions);
    expect(after.next_fire_times).toEqual(before.next_fire_times);

    const patched = await api("PATCH", `/v1/workflows/schedules/${encodeURIComponent(first.body.schedule_id)}`, { version: 1, input: { user: "u1", plan: "pro" } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.version).toBe(2);

    // A create that does change something is an update as before.
    const changed = await api("POST", "/v1/workflows/schedules", { ...body, input: { user: "u1", plan: "free" } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ version: 3, input: { user: "u1", plan: "free" } });
  });
});

describe("an API create that sends a schedule as it is, edge cases", () => {
  it("on a paused schedule, with paused: false and no note: writes nothing, and the schedule stays paused with its note", async () => {
    setNow(T("2027-07-02T00:00:00.000Z"));
    const body = { workflow: uid("login-paused"), key: "user_2", interval_seconds: 3600, input: null, execution_timeout: 600, policy: { catchup_window_seconds: 5 } };
    const first = await api("POST", "/v1/workflows/schedules", body);
    expect(first.status).toBe(201);
    const id = encodeURIComponent(first.body.schedule_id);
    expect((await api("POST", `/v1/workflows/schedules/${id}/pause`, { note: "on holiday" })).status).toBe(200);
    const paused = await describeSchedule(first.body.schedule_id);

    setNow(T("2027-07-02T00:30:00.000Z"));
    // The catch-up window sent as describe shows it (clamped), the zone spelled as typed.
    const again = await api("POST", "/v1/workflows/schedules", { ...body, paused: false, timezone: "utc", policy: { catchup_window_seconds: paused.policy.catchup_window_seconds } });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ version: paused.version, status: "paused", note: "on holiday", updated_at: paused.updated_at });
    expect((await describeSchedule(first.body.schedule_id)).recent_actions).toEqual(paused.recent_actions);
  });
});
