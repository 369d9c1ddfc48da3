import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { env } from "cloudflare:workers";
import { DEV_NAMESPACE } from "../../src/api/auth.ts";
import { executionStub } from "../../src/objects/names.ts";
import { alarmAt, createSchedule, runId, setNow, T } from "./schedule-helpers.ts";

// Ids the platform composes from others (a default schedule id `{workflow}:{key}`, a scheduled
// run's `{schedule_id}:{time}`, a trigger's `{schedule_id}:{time}:trigger:{request_id}`) may be longer
// than the 200 characters an id a client chooses may have: every route must still reach them.

const H = 3_600_000;
const enc = encodeURIComponent;

describe("long composed ids", () => {
  it("a default schedule id past 200 characters, and its runs, can be read, changed, fired and deleted", async () => {
    const t0 = T("2027-07-01T00:00:00.000Z");
    setNow(t0);
    const workflow = `${uid("wf")}-`.padEnd(200, "w");
    const key = `${uid("k")}-`.padEnd(200, "k");
    const queue = uid("q-long");
    const created = await createSchedule({ workflow, key, cron: "0 * * * *", task_queue: queue });
    const sid: string = created.schedule_id;
    expect(sid).toBe(`${workflow}:${key}`);
    expect(sid.length).toBe(401);
    const path = `/v1/workflows/schedules/${enc(sid)}`;
    expect((await api("GET", path)).status).toBe(200);
    expect((await api("PATCH", path, { note: "edited" })).body).toMatchObject({ schedule_id: sid, note: "edited" });
    // Lists page past a long id, and filter by one.
    const key2 = `${uid("k2")}-`.padEnd(200, "k");
    await createSchedule({ workflow, key: key2, cron: "0 * * * *", task_queue: queue });
    const page1 = await api("GET", `/v1/workflows/schedules?workflow=${workflow}&page_size=1`);
    expect(page1.status, JSON.stringify(page1.body)).toBe(200);
    expect(page1.body.next_page_token).toEqual(expect.any(String));
    const page2 = await api("GET", `/v1/workflows/schedules?workflow=${workflow}&page_size=1&page_token=${page1.body.next_page_token}`);
    expect(page2.status, JSON.stringify(page2.body)).toBe(200);
    expect([...page1.body.schedules, ...page2.body.schedules].map((x: { key: string }) => x.key).sort()).toEqual([key, key2].sort());
    expect((await api("GET", `/v1/workflows/executions?schedule_id=${enc(sid)}`)).status).toBe(200);

    await alarmAt(sid, t0 + H);
    const run = runId(sid, t0 + H);
    const got = await api("GET", `/v1/workflows/executions/${enc(run)}`);
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.body).toMatchObject({ execution_id: run, status: "running" });
    expect((await api("GET", `/v1/workflows/executions/${enc(run)}/history`)).status).toBe(200);

    const trig = await api("POST", `${path}/trigger`, { request_id: "r".repeat(200), overlap: "ALLOW_ALL" });
    expect(trig.status, JSON.stringify(trig.body)).toBe(202);
    expect(trig.body.run_id).toBe(runId(sid, t0 + H, `:trigger:${"r".repeat(200)}`));
    expect((await api("POST", `/v1/workflows/executions/${enc(trig.body.run_id)}/terminate`, { reason: "done" })).status).toBe(200);

    expect((await api("POST", `${path}/pause`, { note: "stop" })).status).toBe(200);
    expect((await api("DELETE", path)).status).toBe(204);
    expect((await api("GET", path)).status).toBe(404);
  });

  it("an id a client chooses stays within 200 characters, and no path id is longer than the platform composes", async () => {
    const long = await api("POST", "/v1/workflows/schedules", { schedule_id: "s".repeat(201), workflow: "w", cron: "0 * * * *" });
    expect(long.status).toBe(422);
    expect(long.body.field).toBe("schedule_id");
    const start = await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: "e".repeat(201) });
    expect(start.status).toBe(422);
    expect(start.body.field).toBe("execution_id");
    const huge = await api("GET", `/v1/workflows/executions/${"e".repeat(1025)}`);
    expect(huge.status).toBe(422);
    expect(huge.body.field).toBe("execution_id");
  });

  it("a default child id that would pass the longest id does not start: the parent learns why", async () => {
    // Deeply nested default ids are the only way there: the parent's own id is composed, near the limit.
    const parent = `${uid("deep")}:`.padEnd(1020, "c");
    const queue = uid("q-deep");
    const started = await executionStub(env, DEV_NAMESPACE, parent).start({ namespace: DEV_NAMESPACE, execution_id: parent, workflow: "w", input: null, task_queue: queue, execution_timeout: 3600, id_reuse_policy: "use_existing", schedule: null, callback: null });
    expect(started.ok).toBe(true);
    const wt = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "t", wait_seconds: 1 });
    expect(wt.status).toBe(200);
    const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "start_child_workflow", seq: 1, workflow: "child", input: null }] });
    expect(done.body.status).toBe("accepted");
    const events = (await api("GET", `/v1/workflows/executions/${parent}/history`)).body.events as { type: string; failure?: { type: string } }[];
    expect(events.find((e) => e.type === "child_workflow_start_failed")?.failure).toMatchObject({ type: "ChildExecutionIdTooLong" });
  });
});
