import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { describeSchedule, holdSecondRemoval, setNow, T } from "./schedule-helpers.ts";

// An API-created schedule whose id is the one a code schedule gets (`{workflow}:code-{i}`: an API
// create of key `code-0` has the default id `{workflow}:code-0`). README, "Schedules declared in
// code": "A registration declaring the key of an API-created schedule is a 409 schedule_key_taken
// naming it, with nothing written"; neither takes the other over.

function register(workflow: string, schedules: Record<string, unknown>[]) {
  return api("POST", "/v1/workflows/workers/register", { identity: "w", task_queue: "ids-q", workflows: [{ name: workflow, schedules }], activities: [] });
}

describe("an API schedule holding a code schedule's id", () => {
  it("a registration declaring it is a 409 naming it and the field, and writes nothing", async () => {
    const wf = uid("code-api-id");
    setNow(T("2027-06-01T00:00:00.000Z"));
    const mine = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "code-0", cron_expressions: ["0 2 * * *"], task_queue: "ids-q" });
    expect(mine.status).toBe(201);
    expect(mine.body.schedule_id).toBe(`${wf}:code-0`);
    const before = await describeSchedule(mine.body.schedule_id);

    // A second declared schedule, free, is not claimed either: nothing is written.
    const r = await register(wf, [{ cron_expressions: ["0 3 * * *"] }, { cron_expressions: ["0 4 * * *"] }]);
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body).toMatchObject({ code: "schedule_key_taken", field: "workflows.0.schedules.0.key" });
    expect(r.body.detail).toContain(`already used by schedule ${wf}:code-0, created through the API`);
    expect(r.body.detail).toContain("create it again under another schedule_id");
    expect(await describeSchedule(mine.body.schedule_id)).toMatchObject({ source: "api", version: before.version, spec: { cron_expressions: ["0 2 * * *"] } });
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:code-1`)}`)).status).toBe(404);
    const listed = await api("GET", `/v1/workflows/schedules?workflow=${encodeURIComponent(wf)}`);
    expect(listed.body.schedules.map((s: { schedule_id: string }) => s.schedule_id)).toEqual([`${wf}:code-0`]);
  });

  it("a later registration declaring no schedules leaves it alone", async () => {
    const wf = uid("code-api-keep");
    setNow(T("2027-06-01T00:00:00.000Z"));
    const mine = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "code-0", cron_expressions: ["0 2 * * *"], task_queue: "ids-q" });
    expect(mine.status).toBe(201);
    expect((await register(wf, [{ cron_expressions: ["0 3 * * *"] }])).status).toBe(409);
    setNow(T("2027-06-01T00:10:00.000Z"));
    expect((await register(wf, [])).status).toBe(200);
    expect(await describeSchedule(mine.body.schedule_id)).toMatchObject({ source: "api", spec: { cron_expressions: ["0 2 * * *"] } });
  });
});

describe("an API schedule created under an explicit schedule_id of a code schedule's form", () => {
  it("a registration declaring its (workflow, key) is a 409 and never takes it over, nor does a later one delete it", async () => {
    const wf = uid("code-api-explicit");
    setNow(T("2027-06-01T00:00:00.000Z"));
    const mine = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "nightly", schedule_id: `${wf}:code-0`, cron_expressions: ["0 2 * * *"], task_queue: "ids-q" });
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    const r = await register(wf, [{ key: "nightly", cron_expressions: ["0 3 * * *"] }]);
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body).toMatchObject({ code: "schedule_key_taken", field: "workflows.0.schedules.0.key" });
    expect(await describeSchedule(`${wf}:code-0`)).toMatchObject({ source: "api", spec: { cron_expressions: ["0 2 * * *"] } });
    setNow(T("2027-06-01T00:10:00.000Z"));
    expect((await register(wf, [])).status).toBe(200);
    expect(await describeSchedule(`${wf}:code-0`)).toMatchObject({ source: "api", spec: { cron_expressions: ["0 2 * * *"] } });
  });
});

describe("an API create taking a declared key while a registration runs", () => {
  it("after the registration removed schedules: its 409 says what it had already done; the schedules no longer declared stay removed", async () => {
    const wf = uid("code-api-race");
    const get = (id: string) => api("GET", `/v1/workflows/schedules/${encodeURIComponent(id)}`);
    setNow(T("2027-06-01T00:00:00.000Z"));
    expect((await register(wf, [{ key: "alpha", cron_expressions: ["0 8 * * *"] }, { key: "x", cron_expressions: ["0 9 * * *"] }])).status).toBe(200);
    setNow(T("2027-06-01T00:10:00.000Z"));
    // Hold the registration's second removal (code-0, re-keyed from alpha to x) once code-1 (key x) is gone.
    const hold = holdSecondRemoval();
    let reg: Awaited<ReturnType<typeof register>>;
    let created: Awaited<ReturnType<typeof api>>;
    try {
      const registration = register(wf, [{ key: "x", cron_expressions: ["0 10 * * *"] }]);
      await hold.reached;
      created = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "x", cron_expressions: ["0 2 * * *"], task_queue: "ids-q" });
      hold.release();
      reg = await registration;
    } finally {
      hold.restore();
    }
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(reg.status, JSON.stringify(reg.body)).toBe(409);
    expect(reg.body).toMatchObject({ code: "schedule_key_taken", field: "workflows.0.schedules.0.key" });
    expect(reg.body.detail).toContain(`had already removed or written schedules of ${wf}`);
    expect((await get(`${wf}:code-0`)).status).toBe(404);
    expect((await get(`${wf}:code-1`)).status).toBe(404);
    expect(await describeSchedule(`${wf}:x`)).toMatchObject({ source: "api", key: "x" });
  });
});
