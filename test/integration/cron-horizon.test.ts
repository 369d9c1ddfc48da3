import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, createSchedule, describeSchedule, expectAlarm, setNow, T } from "./schedule-helpers.ts";

const DAY = 86_400_000;

// The cron search covers the calendar's whole 400-year cycle: a rare match decades ahead is a
// fire (preview, describe, the alarm), and an expression that can never match is refused.
describe("cron expressions whose next match is decades away", () => {
  it("preview and a created schedule find a leap-day Monday 17 years ahead; the schedule stays active for it", async () => {
    const t0 = T("2027-03-01T00:00:00Z");
    setNow(t0);
    const p = await api("POST", "/v1/workflows/schedules/preview", { cron: "0 9 * 2 1#5", timezone: "Europe/Berlin", count: 3 });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body.fire_times.map((f: { nominal: string }) => f.nominal)).toEqual(["2044-02-29T08:00:00.000Z", "2072-02-29T08:00:00.000Z", "2112-02-29T08:00:00.000Z"]);

    const sid = uid("leap-monday");
    const d = await createSchedule({ schedule_id: sid, workflow: "leap-wf", key: sid, cron: "0 9 * 2 1#5", timezone: "Europe/Berlin", task_queue: uid("q-leap") });
    expect(d.status).toBe("active");
    expect(d.next_fire_times[0].nominal).toBe("2044-02-29T08:00:00.000Z");
    // Alarms are armed at most 180 days ahead; waking then, the schedule finds the fire still ahead.
    await expectAlarm(sid, t0 + 180 * DAY);
    await alarmAt(sid, t0 + 180 * DAY);
    const later = await describeSchedule(sid);
    expect(later.status).toBe("active");
    expect(later.next_fire_times[0].nominal).toBe("2044-02-29T08:00:00.000Z");
    await expectAlarm(sid, t0 + 360 * DAY);
  });

  it.each([
    ["create", "/v1/workflows/schedules"],
    ["preview", "/v1/workflows/schedules/preview"],
  ])("%s refuses an expression that never fires with a 422 naming it, and creates nothing", async (_what, path) => {
    setNow(T("2027-03-01T00:00:00Z"));
    const sid = uid("never");
    const spec = { cron_expressions: ["0 9 * * *", "0 0 31W 4,6,9,11 *"] };
    const r = await api("POST", path, path.endsWith("preview") ? spec : { schedule_id: sid, workflow: "never-wf", key: sid, ...spec });
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body).toMatchObject({ code: "invalid_cron", field: "cron_expressions.1" });
    expect(r.body.detail).toContain("never fires");
    expect((await api("GET", `/v1/workflows/schedules/${sid}`)).status).toBe(404);
  });
});

// README "Time semantics": an expression no date matches, and exclusions too fine-grained to search,
// are refused with a 422 on create, update, preview and code schedules alike. Create and preview are
// covered above and in schedules-api.test.ts; these are the update and the registration, which must
// change and create nothing either.
describe("specs that cannot be searched are refused on update and in code schedules too", () => {
  const NEVER = { cron_expressions: ["0 9 * * *", "0 0 31W 4,6,9,11 *"] };
  const TOO_FINE = { cron: "* * * * * *", exclude: ["0-29 * * * * *", "30-59 * * * * 1-6"] };

  it("a PATCH to a cron that never fires, or to exclusions too fine to search, is a 422 naming the field, and the schedule keeps its spec", async () => {
    setNow(T("2027-03-01T00:00:00Z"));
    const sid = uid("never-patch");
    const created = await createSchedule({ schedule_id: sid, workflow: "never-wf", key: sid, cron: "0 9 * * *", task_queue: uid("q-never") });
    const never = await api("PATCH", `/v1/workflows/schedules/${sid}`, NEVER);
    expect(never.status, JSON.stringify(never.body)).toBe(422);
    expect(never.body).toMatchObject({ code: "invalid_cron", field: "cron_expressions.1" });
    const sparse = await api("PATCH", `/v1/workflows/schedules/${sid}`, TOO_FINE);
    expect(sparse.status, JSON.stringify(sparse.body)).toBe(422);
    expect(sparse.body.field).toBe("exclude");
    const d = await describeSchedule(sid);
    expect(d).toMatchObject({ version: created.version, status: "active", spec: { cron_expressions: ["0 9 * * *"], exclude: [] } });
    expect(d.next_fire_times[0].nominal).toBe("2027-03-01T09:00:00.000Z");
  });

  it.each([
    ["a cron that never fires", NEVER, "invalid_cron", "workflows.0.schedules.0.cron_expressions.1"],
    ["exclusions too fine to search", TOO_FINE, "validation_failed", "workflows.0.schedules.0.exclude"],
  ])("a registration declaring %s is a 422 naming it, and creates no schedule", async (_what, spec, code, field) => {
    setNow(T("2027-03-01T00:00:00Z"));
    const wf = uid("never-code");
    const r = await api("POST", "/v1/workflows/workers/register", { identity: "w", task_queue: "code-q", workflows: [{ name: wf, schedules: [spec] }], activities: [] });
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body).toMatchObject({ code, field });
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:code-0`)}`)).status).toBe(404);
    expect((await api("GET", `/v1/workflows/schedules?workflow=${wf}`)).body.schedules).toEqual([]);
  });
});
