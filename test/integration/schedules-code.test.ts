import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RegisterWorkerResponse } from "@sundial/sdk/protocol";
import { clock } from "../../src/clock.ts";
import { CONFLICT_WINDOW_MS } from "../../src/api/code-schedules.ts";
import { upsertSchedule } from "../../src/index/schedules.ts";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, describeSchedule, eventually, expectAlarm, fail, runId, setNow, succeed, T } from "./schedule-helpers.ts";

// Schedules declared in code (Mistral's `schedules=[...]` on a workflow): a worker registers them at
// start-up; the platform upserts them under stable ids (`{workflow}:code-{i}`), leaves an unchanged
// definition alone, removes the ones a newer registration no longer declares, and reports rather
// than applies a different definition from another build registered moments ago.

const H = 3_600_000;

function register(workflow: string, schedules: Record<string, unknown>[], buildId?: string, taskQueue = "code-q") {
  return api("POST", "/v1/workflows/workers/register", {
    identity: `worker-${buildId ?? "dev"}`,
    task_queue: taskQueue,
    ...(buildId ? { build_id: buildId } : {}),
    workflows: [{ name: workflow, schedules }],
    activities: [],
  });
}

async function codeSchedulesOf(workflow: string): Promise<{ schedule_id: string; key: string; source: string }[]> {
  const r = await api("GET", `/v1/workflows/schedules?workflow=${encodeURIComponent(workflow)}`);
  expect(r.status).toBe(200);
  return r.body.schedules.filter((s: { source: string }) => s.source === "code");
}

describe("schedules declared in code", () => {
  it("a registration creates them under stable ids with the worker's task queue, listed with source code", async () => {
    const wf = uid("code-create");
    setNow(T("2027-03-01T00:00:00.000Z"));
    const r = await register(wf, [
      { cron_expressions: ["0 9 * * *"], timezone: "America/New_York", input: { report: "daily" }, policy: { catchup_window_seconds: 600, overlap: "SKIP" } },
      { interval_seconds: 3600, key: "hourly" },
    ], "b1");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.workflows).toEqual([{ name: wf, schedules: [`${wf}:code-0`, `${wf}:code-1`], applied: true }]);
    expect(r.body.conflicts).toEqual([]);

    const daily = await describeSchedule(`${wf}:code-0`);
    expect(daily).toMatchObject({ workflow: wf, key: "code-0", source: "code", task_queue: "code-q", input: { report: "daily" }, status: "active" });
    expect(daily.spec).toMatchObject({ cron_expressions: ["0 9 * * *"], timezone: "America/New_York" });
    expect(daily.policy).toMatchObject({ catchup_window_seconds: 600, overlap: "SKIP" });
    // 09:00 New York is 14:00Z before the 2027-03-14 DST change.
    expect(daily.next_fire_times[0].nominal).toBe("2027-03-01T14:00:00.000Z");
    expect(await describeSchedule(`${wf}:code-1`)).toMatchObject({ key: "hourly", source: "code" });
    expect((await codeSchedulesOf(wf)).map((s) => s.schedule_id).sort()).toEqual([`${wf}:code-0`, `${wf}:code-1`]);
  });

  it("re-registering the same definition (a worker restart) changes nothing: version, plan and counters are kept", async () => {
    const wf = uid("code-restart");
    const t0 = T("2027-04-01T00:00:00.000Z");
    setNow(t0);
    const schedules = [{ interval_seconds: 3600 }];
    expect((await register(wf, schedules, "b1")).status).toBe(200);
    const id = `${wf}:code-0`;
    await expectAlarm(id, t0 + H);
    expect(await alarmAt(id, t0 + H)).toBe(true);
    const before = await describeSchedule(id);
    expect(before.counters.fired).toBe(1);

    // Restarted 30 minutes later, same build and a new build with the same definition.
    setNow(t0 + 1.5 * H);
    for (const build of ["b1", "b2"]) {
      const again = await register(wf, schedules, build);
      expect(again.status).toBe(200);
      expect(again.body.workflows[0]).toMatchObject({ applied: true, schedules: [id] });
    }
    const after = await describeSchedule(id);
    expect(after.version).toBe(before.version);
    expect(after.counters).toEqual(before.counters);
    // The interval stays anchored at the first registration, not the restart.
    expect(after.next_fire_times[0].nominal).toBe(new Date(t0 + 2 * H).toISOString());
  });

  it("a changed definition re-applies only the schedules that changed: an unchanged one that completed stays completed", async () => {
    const wf = uid("code-sibling");
    const t0 = T("2027-04-05T00:00:00.000Z");
    setNow(t0);
    const once = { interval_seconds: 3600, repeat_count: 1 };
    const queue = uid("code-sibling-q");
    expect((await register(wf, [once, { cron_expressions: ["0 9 * * *"] }], "b1", queue)).status).toBe(200);
    const id = `${wf}:code-0`;
    await expectAlarm(id, t0 + H);
    expect(await alarmAt(id, t0 + H)).toBe(true);
    await completeRun(queue, runId(id, t0 + H), succeed());
    await eventually(async () => expect((await describeSchedule(id)).status).toBe("completed"));
    const before = await describeSchedule(id);
    expect(before).toMatchObject({ status: "completed", counters: { fired: 1 } });

    // A later build changes only the second schedule.
    setNow(t0 + 2 * H);
    const r = await register(wf, [once, { cron_expressions: ["0 10 * * *"] }], "b2", queue);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await describeSchedule(`${wf}:code-1`)).spec.cron_expressions).toEqual(["0 10 * * *"]);
    const after = await describeSchedule(id);
    expect(after).toMatchObject({ status: "completed", version: before.version, counters: before.counters });
    expect(after.next_fire_times).toEqual([]);
  });

  it("an unchanged schedule with a declared note that went dead stays dead, its note saying why, when a sibling changes", async () => {
    const wf = uid("code-dead-note");
    const t0 = T("2027-04-06T00:00:00.000Z");
    setNow(t0);
    const nightly = { interval_seconds: 3600, note: "nightly export", on_failure: "dead" };
    const queue = uid("code-dead-note-q");
    expect((await register(wf, [nightly, { cron_expressions: ["0 9 * * *"] }], "b1", queue)).status).toBe(200);
    const id = `${wf}:code-0`;
    await expectAlarm(id, t0 + H);
    expect(await alarmAt(id, t0 + H)).toBe(true);
    await completeRun(queue, runId(id, t0 + H), fail());
    await eventually(async () => expect((await describeSchedule(id)).status).toBe("dead"));
    const before = await describeSchedule(id);
    expect(before.note).toMatch(/^dead after run /);

    // A later build changes only the second schedule.
    setNow(t0 + 2 * H);
    const r = await register(wf, [nightly, { cron_expressions: ["0 10 * * *"] }], "b2", queue);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const after = await describeSchedule(id);
    expect(after).toMatchObject({ status: "dead", note: before.note, version: before.version, counters: before.counters });
    expect(after.next_fire_times).toEqual([]);
  });

  it("the same schedules registered with a new task queue or execution timeout are applied: the runs go where the worker now polls", async () => {
    const wf = uid("code-queue");
    setNow(T("2027-04-15T00:00:00.000Z"));
    const schedules = [{ interval_seconds: 3600 }];
    const reg = (taskQueue: string, executionTimeout?: number) =>
      api("POST", "/v1/workflows/workers/register", {
        identity: "w",
        task_queue: taskQueue,
        build_id: "b1",
        workflows: [{ name: wf, schedules, ...(executionTimeout === undefined ? {} : { execution_timeout: executionTimeout }) }],
        activities: [],
      });
    expect((await reg("old-q")).status).toBe(200);
    const id = `${wf}:code-0`;
    expect(await describeSchedule(id)).toMatchObject({ task_queue: "old-q", version: 1 });

    setNow(T("2027-04-15T00:10:00.000Z"));
    expect((await reg("new-q")).status).toBe(200);
    expect(await describeSchedule(id)).toMatchObject({ task_queue: "new-q", version: 2 });
    expect((await reg("new-q", 120)).status).toBe(200);
    expect(await describeSchedule(id)).toMatchObject({ task_queue: "new-q", execution_timeout: 120, version: 3 });
    // And unchanged again is left alone.
    expect((await reg("new-q", 120)).status).toBe(200);
    expect((await describeSchedule(id)).version).toBe(3);
  });

  it("a changed definition is applied; schedules it no longer declares are deleted", async () => {
    const wf = uid("code-change");
    setNow(T("2027-05-01T00:00:00.000Z"));
    expect((await register(wf, [{ interval_seconds: 3600 }, { cron_expressions: ["0 0 * * *"] }])).status).toBe(200);
    expect(await codeSchedulesOf(wf)).toHaveLength(2);

    setNow(T("2027-05-01T00:10:00.000Z"));
    const r = await register(wf, [{ interval_seconds: 1800 }]);
    expect(r.status).toBe(200);
    expect(r.body.workflows[0]).toEqual({ name: wf, schedules: [`${wf}:code-0`], applied: true });
    const changed = await describeSchedule(`${wf}:code-0`);
    expect(changed.spec.intervals).toEqual([{ every: 1800, offset: 0 }]);
    expect(changed.version).toBe(2);
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:code-1`)}`)).status).toBe(404);
    expect((await codeSchedulesOf(wf)).map((s) => s.schedule_id)).toEqual([`${wf}:code-0`]);

    // Declaring none removes them all.
    expect((await register(wf, [])).status).toBe(200);
    expect(await codeSchedulesOf(wf)).toEqual([]);
  });

  it("schedules with keys reordered in the code are re-created under their new ids, not refused", async () => {
    const wf = uid("code-reorder");
    setNow(T("2027-05-02T00:00:00.000Z"));
    const a = { key: "alpha", cron_expressions: ["0 8 * * *"] };
    const b = { key: "beta", cron_expressions: ["0 20 * * *"] };
    expect((await register(wf, [a, b])).status).toBe(200);
    setNow(T("2027-05-02T00:10:00.000Z"));
    const r = await register(wf, [b, a]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.workflows[0]).toMatchObject({ applied: true, schedules: [`${wf}:code-0`, `${wf}:code-1`] });
    const zero = await describeSchedule(`${wf}:code-0`);
    const one = await describeSchedule(`${wf}:code-1`);
    expect([zero.key, zero.spec.cron_expressions]).toEqual(["beta", ["0 20 * * *"]]);
    expect([one.key, one.spec.cron_expressions]).toEqual(["alpha", ["0 8 * * *"]]);
    // The index follows (its rows are rewritten by the objects' outboxes, a freed key first).
    await expect.poll(async () => (await codeSchedulesOf(wf)).map((s) => `${s.schedule_id}=${s.key}`).sort(), { timeout: 10_000 }).toEqual([`${wf}:code-0=beta`, `${wf}:code-1=alpha`]);
  });

  it("a removal whose schedule is already gone counts as done (two replicas registering together)", async () => {
    const wf = uid("code-replicas");
    const now = T("2027-05-02T00:00:00.000Z");
    setNow(now);
    expect((await register(wf, [{ interval_seconds: 3600 }])).status).toBe(200);
    // What the other replica leaves: it removed code-1's object, whose index row lives on until
    // the object's outbox deletes it, so this registration plans that removal too.
    const gone = `${wf}:code-1`;
    await upsertSchedule(env.DB, { namespace: "default", schedule_id: gone, workflow: wf, key: "code-1", status: "active", source: "code", next_fire_at: null, last_fire_at: null, next_run_at: null, current_repeat: 0, current_retry: 0, created_at: now, updated_at: now });

    setNow(now + 60_000);
    const r = await register(wf, [{ interval_seconds: 1800 }]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.workflows[0]).toEqual({ name: wf, schedules: [`${wf}:code-0`], applied: true });
    expect((await describeSchedule(`${wf}:code-0`)).spec.intervals).toEqual([{ every: 1800, offset: 0 }]);
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(gone)}`)).status).toBe(404);
  });

  it("a claim left by a registration cut off before its schedule existed: the same definition registered again creates the schedule", async () => {
    const wf = uid("code-cutoff");
    const now = T("2027-05-02T12:00:00.000Z");
    setNow(now);
    expect((await register(wf, [{ interval_seconds: 3600 }])).status).toBe(200);
    // Deleted by id (the next registration re-creates it, README), then a registration of the same
    // definition claims the id again and is cut off before it writes the object: its placeholder
    // row (updated_at 0) is all that is left.
    const id = `${wf}:code-0`;
    expect((await api("DELETE", `/v1/workflows/schedules/${encodeURIComponent(id)}`)).status).toBeLessThan(300);
    await expect.poll(async () => (await codeSchedulesOf(wf)).length, { timeout: 10_000 }).toBe(0);
    await upsertSchedule(env.DB, { namespace: "default", schedule_id: id, workflow: wf, key: "code-0", status: "active", source: "code", next_fire_at: null, last_fire_at: null, next_run_at: null, current_repeat: 0, current_retry: 0, created_at: now, updated_at: 0 });

    setNow(now + 60_000);
    const r = await register(wf, [{ interval_seconds: 3600 }]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(id)}`)).status).toBe(200);
    await expect.poll(async () => (await codeSchedulesOf(wf)).map((s) => s.schedule_id), { timeout: 10_000 }).toEqual([id]);
  });

  it("D1 failing as the registration is recorded: a 503 saying the schedules were applied, and a retry converges", async () => {
    const wf = uid("code-d1");
    const t0 = T("2027-05-03T00:00:00.000Z");
    setNow(t0);
    expect((await register(wf, [{ interval_seconds: 3600 }], "b1")).status).toBe(200);
    const id = `${wf}:code-0`;

    // A real D1 failure, at the last write only: the workflow type row of this workflow, as it is
    // recorded (not the pending intent written before the schedules change).
    const trigger = `fail_${wf.replace(/\W/g, "_")}`;
    await env.DB.exec(`CREATE TRIGGER ${trigger} BEFORE INSERT ON workflow_types WHEN NEW.name = '${wf}' AND NEW.definition_hash <> 'pending' BEGIN SELECT RAISE(ABORT, 'index offline'); END`);
    setNow(t0 + 60_000);
    try {
      const failed = await register(wf, [{ interval_seconds: 1800 }], "b1");
      expect(failed.status).toBe(503);
      expect(failed.body.code).toBe("index_unavailable");
      expect(failed.body.detail).toContain(`the schedules declared for ${wf} were applied`);
      expect(failed.body.detail).not.toContain("nothing was changed");
    } finally {
      await env.DB.exec(`DROP TRIGGER ${trigger}`);
    }
    const applied = await describeSchedule(id);
    expect(applied.spec.intervals).toEqual([{ every: 1800, offset: 0 }]);

    // The retry (the SDK's, on a 503) applies the same definition again and records it.
    setNow(t0 + 120_000);
    expect((await register(wf, [{ interval_seconds: 1800 }], "b1")).status).toBe(200);
    const retried = await describeSchedule(id);
    expect(retried.spec.intervals).toEqual([{ every: 1800, offset: 0 }]);
    expect(retried.next_fire_times[0].nominal).toBe(applied.next_fire_times[0].nominal);
    // Recorded now: the next registration is unchanged and leaves the schedule alone.
    expect((await register(wf, [{ interval_seconds: 1800 }], "b1")).status).toBe(200);
    expect((await describeSchedule(id)).version).toBe(retried.version);
  });

  it("workers on different builds that disagree are reported, not applied, until the window passes", async () => {
    const wf = uid("code-conflict");
    const t0 = T("2027-06-01T00:00:00.000Z");
    setNow(t0);
    expect((await register(wf, [{ interval_seconds: 3600 }], "v1")).status).toBe(200);

    // A worker on v2 comes up a minute later declaring another definition: v1's stays.
    setNow(t0 + 60_000);
    const r = await register(wf, [{ interval_seconds: 600 }], "v2");
    expect(r.status).toBe(200);
    expect(r.body.workflows[0]).toMatchObject({ name: wf, applied: false });
    expect(r.body.conflicts).toHaveLength(1);
    expect(r.body.conflicts[0]).toMatchObject({ workflow: wf });
    expect(r.body.conflicts[0].message).toContain("build v2 declares a different definition");
    // The answer is the shape the SDK worker reads to warn of the conflict, naming the kept-back schedule.
    expect(RegisterWorkerResponse.parse(r.body).workflows[0]!.schedules).toEqual([`${wf}:code-0`]);
    expect((await describeSchedule(`${wf}:code-0`)).spec.intervals).toEqual([{ every: 3600, offset: 0 }]);

    // v1 workers restarting meanwhile keep theirs (no flapping back and forth).
    expect((await register(wf, [{ interval_seconds: 3600 }], "v1")).body.workflows[0].applied).toBe(true);
    expect((await describeSchedule(`${wf}:code-0`)).version).toBe(1);

    // Once v1 has not registered for the whole window, v2's definition is applied.
    setNow(t0 + 60_000 + CONFLICT_WINDOW_MS + 1);
    const later = await register(wf, [{ interval_seconds: 600 }], "v2");
    expect(later.body).toMatchObject({ conflicts: [] });
    expect(later.body.workflows[0].applied).toBe(true);
    expect((await describeSchedule(`${wf}:code-0`)).spec.intervals).toEqual([{ every: 600, offset: 0 }]);
  });

  it("a build whose running workers register again (every 5 minutes, the SDK's registrationRefresh) keeps its schedules against a stale old build; a rollback applies 10 minutes after it stopped", async () => {
    const wf = uid("code-refresh");
    const t0 = T("2027-06-02T00:00:00.000Z");
    const M = 60_000;
    setNow(t0);
    expect((await register(wf, [{ interval_seconds: 600 }], "v2")).body.workflows[0].applied).toBe(true);
    for (let m = 5; m <= 20; m += 5) {
      setNow(t0 + m * M);
      expect((await register(wf, [{ interval_seconds: 600 }], "v2")).body.workflows[0].applied).toBe(true);
    }
    // 22 minutes after v2 came up, a stale v1 worker restarts: v2 registered 2 minutes ago, so v1's definition is kept back.
    setNow(t0 + 22 * M);
    const stale = await register(wf, [{ interval_seconds: 3600 }], "v1");
    expect(stale.body.workflows[0].applied).toBe(false);
    expect(stale.body.conflicts[0].message).toContain("build v1 declares a different definition");
    expect((await describeSchedule(`${wf}:code-0`)).spec.intervals).toEqual([{ every: 600, offset: 0 }]);
    // v2's workers stopped after t0 + 20 min (a rollback to v1): once they have been silent for the window, v1's is applied.
    setNow(t0 + 20 * M + CONFLICT_WINDOW_MS + 1);
    expect((await register(wf, [{ interval_seconds: 3600 }], "v1")).body.workflows[0].applied).toBe(true);
    expect((await describeSchedule(`${wf}:code-0`)).spec.intervals).toEqual([{ every: 3600, offset: 0 }]);
  });

  it("a declared schedule whose input (or lack of one) the workflow's input schema refuses is a 422 naming it, and writes nothing", async () => {
    const wf = uid("code-input");
    const schema = { type: "object", properties: { user: { type: "string" } }, required: ["user"] };
    const reg = (schedules: Record<string, unknown>[]) =>
      api("POST", "/v1/workflows/workers/register", { identity: "w", task_queue: "code-q", workflows: [{ name: wf, input_schema: schema, schedules }], activities: [] });
    // No input: its runs would start with null and fail at the first fire.
    const none = await reg([{ cron_expressions: ["0 8 * * *"] }]);
    expect(none.status).toBe(422);
    expect(none.body).toMatchObject({ code: "invalid_input", field: "workflows.0.schedules.0.input" });
    const wrong = await reg([{ cron_expressions: ["0 8 * * *"], input: { user: "a" } }, { cron_expressions: ["0 9 * * *"], input: { user: 7 } }]);
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ code: "invalid_input", field: "workflows.0.schedules.1.input.user" });
    expect(await codeSchedulesOf(wf)).toEqual([]);
    const good = await reg([{ cron_expressions: ["0 8 * * *"], input: { user: "a" } }]);
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect((await codeSchedulesOf(wf)).map((s) => s.schedule_id)).toEqual([`${wf}:code-0`]);
  });

  it("an API create with the key of a code schedule is a 409 and changes nothing: the registration stays in charge of it", async () => {
    const wf = uid("code-global");
    setNow(T("2027-06-01T00:00:00Z"));
    const schedules = [{ key: "global", cron_expressions: ["0 9 * * *"] }];
    expect((await register(wf, schedules)).status).toBe(200);
    const id = `${wf}:code-0`;
    const before = await describeSchedule(id);
    const r = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "global", cron: "0 10 * * *", task_queue: "code-q" });
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body).toMatchObject({ code: "schedule_key_taken", field: "key" });
    expect(r.body.detail).toContain(`held by schedule ${id}, declared in worker code`);
    expect(await describeSchedule(id)).toMatchObject({ source: "code", version: before.version, spec: { cron_expressions: ["0 9 * * *"] } });

    // Changes by id are allowed and outlive a restart with the same definition.
    expect((await api("POST", `/v1/workflows/schedules/${encodeURIComponent(id)}/pause`, { note: "holiday" })).status).toBe(200);
    expect((await register(wf, schedules)).status).toBe(200);
    expect(await describeSchedule(id)).toMatchObject({ source: "code", status: "paused", version: before.version + 1 });
    const all = await api("GET", `/v1/workflows/schedules?workflow=${encodeURIComponent(wf)}`);
    expect(all.body.schedules.map((s: { schedule_id: string }) => s.schedule_id)).toEqual([id]);
  });

  it("a key already used by an API-created schedule of the workflow is a 409 and writes nothing", async () => {
    const wf = uid("code-key");
    setNow(T("2027-07-01T00:00:00.000Z"));
    const mine = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "nightly", cron_expressions: ["0 2 * * *"], task_queue: "code-q" });
    expect(mine.status).toBe(201);
    const r = await api("POST", "/v1/workflows/workers/register", {
      identity: "w",
      task_queue: "code-q",
      workflows: [
        { name: wf, schedules: [{ interval_seconds: 3600 }, { cron_expressions: ["0 3 * * *"], key: "nightly" }] },
      ],
      activities: [],
    });
    expect(r.status).toBe(409);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({ code: "schedule_key_taken", field: "workflows.0.schedules.1.key" });
    expect(r.body.detail).toContain(`already used by schedule ${mine.body.schedule_id}, created through the API`);
    expect(r.body.detail).toContain("delete it or declare another key");
    expect(await codeSchedulesOf(wf)).toEqual([]);
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:code-0`)}`)).status).toBe(404);
    expect((await describeSchedule(mine.body.schedule_id)).spec.cron_expressions).toEqual(["0 2 * * *"]);
  });
});
