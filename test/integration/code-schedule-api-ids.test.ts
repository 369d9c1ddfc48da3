import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { describeSchedule, scheduleObject, setNow, T } from "./schedule-helpers.ts";

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

describe("a code schedule an older API create switched to source api", () => {
  it("is taken back by the next registration (its id is not the API default of its key)", async () => {
    const wf = uid("code-legacy");
    setNow(T("2027-06-02T00:00:00.000Z"));
    expect((await register(wf, [{ key: "global", cron_expressions: ["0 3 * * *"] }])).status).toBe(200);
    const sid = `${wf}:code-0`;
    // The state an API create of (wf, global) left before creates stopped taking code schedules over.
    await runInDurableObject(scheduleObject(sid), async (obj, state) => {
      state.storage.sql.exec("UPDATE schedule SET source = 'api'");
      (obj as unknown as { store: { row: unknown } }).store.row = undefined;
    });
    await env.DB.prepare("UPDATE schedules SET source = 'api' WHERE namespace = 'default' AND schedule_id = ?").bind(sid).run();
    expect(await describeSchedule(sid)).toMatchObject({ source: "api", key: "global" });

    setNow(T("2027-06-02T00:10:00.000Z"));
    const r = await register(wf, [{ key: "global", cron_expressions: ["0 4 * * *"] }]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await describeSchedule(sid)).toMatchObject({ source: "code", key: "global", spec: { cron_expressions: ["0 4 * * *"] } });
    const row = await env.DB.prepare("SELECT source FROM schedules WHERE namespace = 'default' AND schedule_id = ?").bind(sid).first<{ source: string }>();
    expect(row?.source).toBe("code");
  });
});
