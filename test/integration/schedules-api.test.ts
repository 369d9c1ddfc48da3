import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { api, DEV_KEY, uid } from "./helpers.ts";
import { alarmAt, createSchedule, describeSchedule, eventually, expectAlarm, expectNoRun, expectRunning, getRun, iso, runId, scheduleObject, setNow, T } from "./schedule-helpers.ts";

const H = 3_600_000;
const ids = (l: { body: { schedules: { schedule_id: string }[] } }) => l.body.schedules.map((s) => s.schedule_id);

describe("upsert by (workflow, key) and listing", () => {
  it("creating with an existing (workflow, key) updates that schedule in place and keeps its id", async () => {
    setNow(T("2027-06-01T00:00:00Z"));
    const wf = uid("digest");
    const a = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "user_1", cron: "0 8 * * *", timezone: "America/Los_Angeles", input: { v: 1 } });
    expect(a.status).toBe(201);
    expect(a.body.schedule_id).toBe(`${wf}:user_1`);
    expect(a.headers.get("location")).toBe(`/v1/workflows/schedules/${encodeURIComponent(`${wf}:user_1`)}`);
    expect(a.body.next_fire_times[0].nominal).toBe("2027-06-01T15:00:00.000Z");

    const again = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "user_1", cron: "0 15 * * *", timezone: "America/Chicago", input: { v: 2 } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ schedule_id: a.body.schedule_id, version: 2, input: { v: 2 } });
    expect(again.body.spec).toMatchObject({ cron_expressions: ["0 15 * * *"], timezone: "America/Chicago" });
    expect(again.body.next_fire_times[0].nominal).toBe("2027-06-01T20:00:00.000Z");

    const other = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "user_2", cron: "0 8 * * *" });
    expect(other.status).toBe(201);
    expect(other.body.schedule_id).not.toBe(a.body.schedule_id);

    // An explicit id on the first create is the one later upserts (without an id) land on.
    const custom = uid("custom");
    expect((await api("POST", "/v1/workflows/schedules", { schedule_id: custom, workflow: wf, key: "user_3", cron: "0 9 * * *" })).status).toBe(201);
    await eventually(async () => expect(ids(await api("GET", `/v1/workflows/schedules?workflow=${wf}&key=user_3`))).toEqual([custom]));
    const up = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "user_3", cron: "0 10 * * *" });
    expect(up.status).toBe(200);
    expect(up.body.schedule_id).toBe(custom);
    expect(up.body.spec.cron_expressions).toEqual(["0 10 * * *"]);

    await eventually(async () => expect(ids(await api("GET", `/v1/workflows/schedules?workflow=${wf}`))).toHaveLength(3));
  });

  it("an upsert that leaves the spec unchanged keeps the plan; one that changes it re-plans from now", async () => {
    const t0 = T("2027-06-03T00:00:00.000Z");
    const wf = uid("upsert-plan");
    const body = { workflow: wf, key: "user_9", interval_seconds: 600, task_queue: uid("q-up"), overlap: "ALLOW_ALL" };
    setNow(t0);
    const sid = (await createSchedule({ ...body, input: { v: 1 } })).schedule_id;
    await expectAlarm(sid, t0 + 600_000);
    // Polos' pattern: the app calls create() again (on every login, say). The interval stays anchored
    // at creation, so repeated upserts never postpone the fire.
    setNow(t0 + 500_000);
    const same = await api("POST", "/v1/workflows/schedules", { ...body, input: { v: 2 } });
    expect(same.status).toBe(200);
    expect(same.body.input).toEqual({ v: 2 });
    expect(same.body.next_fire_times[0].nominal).toBe(iso(t0 + 600_000));
    await expectAlarm(sid, t0 + 600_000);
    // Fires missed before an unchanged upsert still follow the catch-up policy.
    setNow(t0 + 1_900_000);
    expect((await api("POST", "/v1/workflows/schedules", { ...body, input: { v: 3 } })).status).toBe(200);
    for (const n of [1, 2, 3]) expect((await eventually(async () => {
      const r = await getRun(runId(sid, t0 + n * 600_000));
      expect(r.status).toBe(200);
      return r.body;
    })).input).toEqual({ v: 3 });
    // A changed spec re-plans from now.
    const changed = await api("POST", "/v1/workflows/schedules", { ...body, interval_seconds: 300 });
    expect(changed.status).toBe(200);
    expect(changed.body.next_fire_times[0].nominal).toBe(iso(t0 + 2_200_000));
  });

  it("lists by workflow, key and status, with cursor pagination", async () => {
    setNow(T("2027-06-02T00:00:00Z"));
    const wf = uid("listwf");
    const keys = ["u1", "u2", "u3", "u4", "u5"];
    for (const key of keys) expect((await api("POST", "/v1/workflows/schedules", { workflow: wf, key, cron: "0 8 * * *" })).status).toBe(201);
    await api("POST", `/v1/workflows/schedules/${wf}:u2/pause`, { note: "on holiday" });
    const all = keys.map((k) => `${wf}:${k}`).sort();

    await eventually(async () => {
      const paused = await api("GET", `/v1/workflows/schedules?workflow=${wf}&status=paused`);
      expect(ids(paused)).toEqual([`${wf}:u2`]);
    });
    const active = await api("GET", `/v1/workflows/schedules?workflow=${wf}&status=active`);
    expect(ids(active)).toEqual(all.filter((id) => id !== `${wf}:u2`));
    const byKey = await api("GET", `/v1/workflows/schedules?workflow=${wf}&key=u4`);
    expect(byKey.body.schedules).toEqual([
      { schedule_id: `${wf}:u4`, workflow: wf, key: "u4", status: "active", source: "api", next_fire_at: "2027-06-02T08:00:00.000Z", next_run_at: "2027-06-02T08:00:00.000Z", last_fire_at: null, current_repeat: 0, current_retry: 0, created_at: "2027-06-02T00:00:00.000Z" },
    ]);

    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { schedules: { schedule_id: string }[]; next_page_token: string | null } } = await api("GET", `/v1/workflows/schedules?workflow=${wf}&page_size=2${token ? `&page_token=${token}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.schedules.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page));
      token = page.body.next_page_token;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);

    const bad = await api("GET", `/v1/workflows/schedules?status=sleeping`);
    expect(bad.status).toBe(422);
    expect(bad.body.field).toBe("query.status");
  });
});

describe("PATCH", () => {
  it("Pipelit's update: retry_max and interval_seconds change the policy and the interval, planned from now", async () => {
    const t0 = T("2027-06-12T00:00:00.000Z");
    setNow(t0);
    const created = await createSchedule({ workflow: "health-monitor", key: uid("pipelit"), interval_seconds: 3600, repeat_count: 0, retry_max: 3, task_queue: uid("q-patch") });
    const sid = created.schedule_id;
    expect(created.policy.retry_max).toBe(3);
    setNow(t0 + 10 * 60_000);
    const r = await api("PATCH", `/v1/workflows/schedules/${encodeURIComponent(sid)}`, { retry_max: 5, interval_seconds: 1800 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.policy.retry_max).toBe(5);
    expect(r.body.spec.intervals).toEqual([{ every: 1800, offset: 0 }]);
    expect(r.body.spec.repeat_count).toBe(0);
    expect(r.body.version).toBe(2);
    // The new interval counts from the change (00:10): 00:40, 01:10.
    expect(r.body.next_fire_times.slice(0, 2).map((f: { nominal: string }) => f.nominal)).toEqual([iso(t0 + 40 * 60_000), iso(t0 + 70 * 60_000)]);
    expect(r.body.next_run_at).toBe(iso(t0 + 40 * 60_000));
    await expectAlarm(sid, t0 + 40 * 60_000);
    // Only the policy: the plan stays.
    const policyOnly = await api("PATCH", `/v1/workflows/schedules/${encodeURIComponent(sid)}`, { retry_max: 1 });
    expect(policyOnly.body).toMatchObject({ version: 3, policy: { retry_max: 1 }, next_run_at: iso(t0 + 40 * 60_000) });
  });

  // README "Intervals": any spec field re-plans from now, "also jitter_seconds or end_at", so an
  // interval without start_at is anchored at that PATCH; a policy-only PATCH keeps the anchor.
  it.each([
    ["end_at", { end_at: "2030-01-01T00:00:00Z" }],
    ["jitter_seconds", { jitter_seconds: 1 }],
  ])("a PATCH of %s alone re-anchors an interval without start_at at the change", async (_field, patch) => {
    const t0 = T("2027-06-13T00:00:00.000Z");
    setNow(t0);
    const created = await createSchedule({ workflow: "anchor-wf", key: uid("anchor"), interval_seconds: 3600, task_queue: uid("q-anchor") });
    const sid = encodeURIComponent(created.schedule_id);
    expect(created.next_fire_times[0].nominal).toBe(iso(t0 + H));
    setNow(t0 + 10 * 60_000);
    const kept = await api("PATCH", `/v1/workflows/schedules/${sid}`, { retry_max: 2 });
    expect(kept.body.next_fire_times[0].nominal).toBe(iso(t0 + H));
    const r = await api("PATCH", `/v1/workflows/schedules/${sid}`, patch);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.next_fire_times.slice(0, 2).map((f: { nominal: string }) => f.nominal)).toEqual([iso(t0 + 70 * 60_000), iso(t0 + 130 * 60_000)]);
  });

  it("a stale version is a 409 version_conflict and changes nothing; a spec change re-plans from now", async () => {
    const t0 = T("2027-06-10T00:00:00.000Z");
    const sid = uid("patch");
    setNow(t0);
    await api("POST", "/v1/workflows/schedules", { schedule_id: sid, workflow: "patch-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-patch") });
    const ok = await api("PATCH", `/v1/workflows/schedules/${sid}`, { version: 1, note: "first edit" });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ version: 2, note: "first edit" });
    expect(ok.headers.get("etag")).toBe('"2"');

    const stale = await api("PATCH", `/v1/workflows/schedules/${sid}`, { version: 1, cron: "*/20 * * * *" });
    expect(stale.status).toBe(409);
    expect(stale.headers.get("content-type")).toBe("application/problem+json");
    expect(stale.body).toMatchObject({ code: "version_conflict", field: "version" });
    let d = await describeSchedule(sid);
    expect(d.version).toBe(2);
    expect(d.spec.cron_expressions).toEqual(["0 * * * *"]);

    // 01:00 and 02:00 were never delivered; at 02:30 the spec changes. They came due before it, so
    // they are decided first, as their alarm would have (01:00 starts, 02:00 is skipped by the old
    // SKIP policy while 01:00 runs); then planning restarts from now: the new spec's first fire is 02:40.
    setNow(t0 + 2.5 * H);
    const changed = await api("PATCH", `/v1/workflows/schedules/${sid}`, { version: 2, cron: "*/20 * * * *", overlap: "ALLOW_ALL" });
    expect(changed.status).toBe(200);
    expect(changed.body.version).toBe(3);
    expect(changed.body.policy.overlap).toBe("ALLOW_ALL");
    expect(changed.body.next_fire_times.slice(0, 2).map((f: { nominal: string }) => f.nominal)).toEqual([iso(t0 + 2.5 * H + 10 * 60_000), iso(t0 + 3 * H)]);
    await expectAlarm(sid, t0 + 2.5 * H + 10 * 60_000);
    await alarmAt(sid, t0 + 2.5 * H + 10 * 60_000);
    expect((await getRun(runId(sid, t0 + 2.5 * H + 10 * 60_000))).body.status).toBe("running");
    await expectRunning(runId(sid, t0 + H));
    await expectNoRun(runId(sid, t0 + 2 * H));
    d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 2, skipped_overlap: 1, skipped_catchup: 0 });

    const missing = await api("PATCH", `/v1/workflows/schedules/${uid("nope")}`, { note: "x" });
    expect(missing.status).toBe(404);
  });

  it("a PATCH that changes nothing (empty, or every field as it is) writes nothing: same version, no action, same plan", async () => {
    setNow(T("2027-06-12T00:00:00.000Z"));
    const sid = uid("noop");
    const queue = uid("q-noop");
    const created = await api("POST", "/v1/workflows/schedules", { schedule_id: sid, workflow: "noop-wf", key: sid, cron: "0 * * * *", input: { a: 1 }, note: "n", task_queue: queue });
    expect(created.status).toBe(201);
    const before = await describeSchedule(sid);
    for (const body of [{}, { version: 1 }, { cron: "0 * * * *", input: { a: 1 }, note: "n", task_queue: queue, overlap: before.policy.overlap, timezone: "UTC" }]) {
      const r = await api("PATCH", `/v1/workflows/schedules/${sid}`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.version, JSON.stringify(body)).toBe(1);
      expect(r.headers.get("etag")).toBe('"1"');
    }
    const after = await describeSchedule(sid);
    expect(after.recent_actions).toEqual(before.recent_actions);
    expect(after.updated_at).toBe(before.updated_at);
    // One field that does change is an update as before.
    const changed = await api("PATCH", `/v1/workflows/schedules/${sid}`, { version: 1, input: { a: 2 } });
    expect(changed.body).toMatchObject({ version: 2, input: { a: 2 } });
  });

  it("retry_delay_seconds: null restores the default, so the policy describe shows can be sent back whole", async () => {
    setNow(T("2027-06-13T00:00:00.000Z"));
    const sid = uid("retry-null");
    const created = await api("POST", "/v1/workflows/schedules", { schedule_id: sid, workflow: "retry-null-wf", key: sid, cron: "0 * * * *", retry_max: 2, retry_delay_seconds: 120, task_queue: uid("q") });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.policy.retry_delay_seconds).toBe(120);
    const reset = await api("PATCH", `/v1/workflows/schedules/${sid}`, { retry_delay_seconds: null });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect(reset.body).toMatchObject({ version: 2, policy: { retry_max: 2, retry_delay_seconds: null } });
    // The policy read back (its retry_delay_seconds null) is a valid PATCH, and changes nothing.
    const same = await api("PATCH", `/v1/workflows/schedules/${sid}`, { policy: reset.body.policy });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body.version).toBe(2);
    // A create may say null too: the default.
    const other = await api("POST", "/v1/workflows/schedules", { workflow: "retry-null-wf", key: uid("k"), cron: "0 * * * *", policy: { retry_delay_seconds: null }, task_queue: uid("q") });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    expect(other.body.policy.retry_delay_seconds).toBeNull();
  });

  it("If-Match: * updates whatever the version; else only the ETag GET sends (or its weak form), any other value is a 422 naming If-Match", async () => {
    setNow(T("2027-06-11T00:00:00.000Z"));
    const sid = uid("if-match");
    await api("POST", "/v1/workflows/schedules", { schedule_id: sid, workflow: "if-match-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-patch") });
    const patch = (ifMatch: string, note: string) => api("PATCH", `/v1/workflows/schedules/${sid}`, { note }, undefined, { headers: { "if-match": ifMatch } });
    const etag = (await api("GET", `/v1/workflows/schedules/${sid}`)).headers.get("etag")!;
    expect(etag).toBe('"1"');
    expect((await patch("*", "any version")).body).toMatchObject({ version: 2, note: "any version" });
    for (const bad of ['""', '"0x2"', '"2.0"', '"02"', '"0"', "2", '"2", "3"', "**", "W/2"]) {
      const r = await patch(bad, "refused");
      expect(r.status, `If-Match: ${bad}`).toBe(422);
      expect(r.body).toMatchObject({ code: "validation_failed", field: "If-Match" });
    }
    expect((await patch(etag, "stale")).body).toMatchObject({ code: "version_conflict", field: "If-Match" });
    expect((await patch('"2"', "strong")).body).toMatchObject({ version: 3, note: "strong" });
    expect((await patch('W/"3"', "weak")).body).toMatchObject({ version: 4, note: "weak" });
    // The header and the body's version disagreeing is a 422 naming If-Match (no silent winner); agreeing, it is one version.
    const both = (ifMatch: string, version: number, note: string) => api("PATCH", `/v1/workflows/schedules/${sid}`, { note, version }, undefined, { headers: { "if-match": ifMatch } });
    const disagree = await both('"4"', 3, "refused");
    expect(disagree.status).toBe(422);
    expect(disagree.body).toMatchObject({ code: "validation_failed", field: "If-Match" });
    expect((await both('"3"', 3, "stale")).body).toMatchObject({ code: "version_conflict", field: "version" });
    expect((await both('"4"', 4, "agreed")).body).toMatchObject({ version: 5, note: "agreed" });
    expect((await describeSchedule(sid)).note).toBe("agreed");
  });
});

describe("PATCH: the spec's times", () => {
  it("changes start_at, end_at and at, and null clears a bound", async () => {
    const t0 = T("2027-06-14T00:00:00.000Z");
    setNow(t0);
    const sid = uid("patch-times");
    const path = `/v1/workflows/schedules/${sid}`;
    await api("POST", "/v1/workflows/schedules", { schedule_id: sid, workflow: "patch-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-patch") });
    const bounded = await api("PATCH", path, { start_at: "2027-06-15T00:30:00Z", end_at: "2027-06-15T03:30:00+00:00" });
    expect(bounded.status, JSON.stringify(bounded.body)).toBe(200);
    expect(bounded.body.spec).toMatchObject({ start_at: "2027-06-15T00:30:00.000Z", end_at: "2027-06-15T03:30:00.000Z" });
    expect(bounded.body.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual(["2027-06-15T01:00:00.000Z", "2027-06-15T02:00:00.000Z", "2027-06-15T03:00:00.000Z"]);

    const open = await api("PATCH", path, { end_at: null });
    expect(open.status, JSON.stringify(open.body)).toBe(200);
    expect(open.body.spec).toMatchObject({ start_at: "2027-06-15T00:30:00.000Z", end_at: null });
    expect(open.body.next_fire_times).toHaveLength(10);

    const oneShot = await api("PATCH", path, { cron_expressions: [], at: "2027-06-20T12:00:00Z", start_at: null });
    expect(oneShot.status, JSON.stringify(oneShot.body)).toBe(200);
    expect(oneShot.body.spec).toMatchObject({ cron_expressions: [], at: ["2027-06-20T12:00:00.000Z"], start_at: null });
    expect(oneShot.body.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual(["2027-06-20T12:00:00.000Z"]);

    const bad = await api("PATCH", path, { end_at: "2027-06-31T00:00:00Z" });
    expect(bad.status).toBe(422);
    expect(bad.body.field).toBe("end_at");
    expect((await describeSchedule(sid)).version).toBe(4);
  });
});

describe("DELETE", () => {
  it("removes the schedule and its index row and disarms it; runs it started keep running", async () => {
    const t0 = T("2027-06-20T00:00:00.000Z");
    const sid = uid("delete");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "delete-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-del") });
    await alarmAt(sid, t0 + H);
    await eventually(async () => expect(ids(await api("GET", `/v1/workflows/schedules?key=${sid}`))).toEqual([sid]));
    const del = await api("DELETE", `/v1/workflows/schedules/${sid}`);
    expect(del.status).toBe(204);
    expect((await api("GET", `/v1/workflows/schedules/${sid}`)).status).toBe(404);
    expect((await api("DELETE", `/v1/workflows/schedules/${sid}`)).status).toBe(404);
    await eventually(async () => expect(ids(await api("GET", `/v1/workflows/schedules?key=${sid}`))).toEqual([]));
    await expectAlarm(sid, null);
    expect((await getRun(runId(sid, t0 + H))).body.status).toBe("running");
  });

  it("answers once the index has forgotten it: the delete's index delivery is done, not left behind the response", async () => {
    setNow(T("2027-06-21T00:00:00.000Z"));
    const wf = uid("delete-index-wf");
    const sid = uid("delete-index");
    await createSchedule({ schedule_id: sid, workflow: wf, key: "k", cron: "0 * * * *" });
    await eventually(async () => expect(ids(await api("GET", `/v1/workflows/schedules?workflow=${wf}`))).toEqual([sid]));
    // Locally D1 answers in order, so a list right after the 204 would pass either way; what makes
    // it true everywhere is that the object's RPC returns only after its index entry was delivered.
    const left = await runInDurableObject(scheduleObject(sid), async (obj, state) => {
      expect((await (obj as unknown as { remove(): Promise<{ ok: boolean }> }).remove()).ok).toBe(true);
      return state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
    });
    expect(left).toBe(0);
    expect(ids(await api("GET", `/v1/workflows/schedules?workflow=${wf}`))).toEqual([]);
    const again = await api("POST", "/v1/workflows/schedules", { schedule_id: uid("delete-index-new"), workflow: wf, key: "k", cron: "0 * * * *" });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
  });
});

describe("the seeds' calls as their docs write them", () => {
  /** A request as curl sends it with only -X and -H "Authorization": no body, no content-type. */
  async function bare(method: string, path: string): Promise<{ status: number; body: any }> {
    const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
    const res = await worker.fetch(new Request(`http://sundial.test${path}`, { method, headers: { authorization: `Bearer ${DEV_KEY}` } }));
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  it("Polos' global schedule: a create without a key is key \"global\", id {workflow}:global, and the next one updates it", async () => {
    setNow(T("2027-06-25T00:00:00.000Z"));
    const wf = uid("cleanup-task");
    const a = await api("POST", "/v1/workflows/schedules", { workflow: wf, cron: "0 3 * * *", timezone: "UTC" });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(a.body).toMatchObject({ schedule_id: `${wf}:global`, key: "global", status: "active" });
    const b = await api("POST", "/v1/workflows/schedules", { workflow: wf, cron: "0 4 * * *", key: "global" });
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({ schedule_id: `${wf}:global`, version: 2, spec: { cron_expressions: ["0 4 * * *"] } });
    await eventually(async () => expect(ids(await api("GET", `/v1/workflows/schedules?workflow=${wf}`))).toEqual([`${wf}:global`]));
  });

  // DESIGN "Time semantics" defaults, as a bare create stores and describes them: zone UTC, key
  // "global", no jitter, a one-day catch-up window, SKIP, no retries, on_failure continue.
  it("a create naming only the workflow and a cron gets DESIGN's defaults", async () => {
    setNow(T("2027-06-25T00:00:00.000Z"));
    const wf = uid("defaults");
    const r = await api("POST", "/v1/workflows/schedules", { workflow: wf, cron: "0 3 * * *" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ key: "global", status: "active", spec: { timezone: "UTC", jitter_seconds: 0, repeat_count: 0, exclude: [], start_at: null, end_at: null } });
    expect(r.body.policy).toEqual({ catchup_window_seconds: 86_400, overlap: "SKIP", retry_max: 0, retry_delay_seconds: null, on_failure: "continue" });
    expect(r.body.next_fire_times[0]).toEqual({ nominal: "2027-06-25T03:00:00.000Z", actual: "2027-06-25T03:00:00.000Z" });
  });

  it("Pipelit's pause, resume and delete: bodiless POSTs and DELETE on slash-ended paths", async () => {
    const t0 = T("2027-06-26T00:00:00.000Z");
    const sid = uid("pipelit-bare");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "health-monitor", key: sid, interval_seconds: 3600, repeat_count: 0, retry_max: 3, task_queue: uid("q-bare") });
    const paused = await bare("POST", `/v1/workflows/schedules/${sid}/pause/`);
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body).toMatchObject({ status: "paused", next_run_at: null });
    await expectAlarm(sid, null);
    setNow(t0 + 90 * 60_000);
    const resumed = await bare("POST", `/v1/workflows/schedules/${sid}/resume/`);
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    // "The scheduler calculates the next run time": the interval's next fire after now.
    expect(resumed.body).toMatchObject({ status: "active", next_run_at: iso(t0 + 2 * H) });
    await expectAlarm(sid, t0 + 2 * H);
    expect((await bare("DELETE", `/v1/workflows/schedules/${sid}/`)).status).toBe(204);
    expect((await api("GET", `/v1/workflows/schedules/${sid}`)).status).toBe(404);
  });
});

describe("bad input and preview", () => {
  async function total(): Promise<number> {
    const l = await api("GET", "/v1/workflows/schedules?page_size=500");
    expect(l.status).toBe(200);
    return l.body.schedules.length;
  }

  it.each([
    ["a bad cron", { cron_expressions: ["61 * * * *"] }, "cron_expressions.0", "invalid_cron"],
    ["a bad cron (Polos' shorthand), named as sent", { cron: "every day" }, "cron", "invalid_cron"],
    ["a bad cron shorthand beside good cron_expressions", { cron_expressions: ["0 * * * *"], cron: "61 * * * *" }, "cron", "invalid_cron"],
    ["a bad cron_expressions entry beside a good shorthand", { cron_expressions: ["0 * * * *", "61 * * * *"], cron: "0 9 * * *" }, "cron_expressions.1", "invalid_cron"],
    ["a cron shorthand that never fires", { cron: "0 0 30 2 *" }, "cron", "invalid_cron"],
    ["an unknown zone", { cron: "0 9 * * *", timezone: "Mars/Olympus_Mons" }, "timezone", "validation_failed"],
    ["end before start", { cron: "0 9 * * *", start_at: "2027-07-02T00:00:00Z", end_at: "2027-07-01T00:00:00Z" }, "end_at", "validation_failed"],
    ["an unknown field", { cron: "0 9 * * *", frequency: "daily" }, "frequency", "validation_failed"],
    ["an unknown overlap policy", { cron: "0 9 * * *", overlap: "SOMETIMES" }, "overlap", "validation_failed"],
    ["no time spec at all", {}, "cron_expressions", "validation_failed"],
  ])("rejects %s with a 422 problem naming the field, and creates nothing", async (_name, spec, field, code) => {
    setNow(T("2027-07-01T00:00:00Z"));
    const before = await total();
    const sid = uid("bad");
    const r = await api("POST", "/v1/workflows/schedules", { schedule_id: sid, workflow: "bad-wf", key: sid, ...spec });
    expect(r.status).toBe(422);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body).toMatchObject({ status: 422, code, field });
    expect(r.body.detail).toContain(field);
    expect((await api("GET", `/v1/workflows/schedules/${sid}`)).status).toBe(404);
    await new Promise((res) => setTimeout(res, 30));
    expect(await total()).toBe(before);
    expect((await api("GET", `/v1/workflows/schedules?key=${sid}`)).body.schedules).toEqual([]);
  });

  it("a bad cron shorthand is named cron in a preview, a PATCH and a schedule declared in code too", async () => {
    setNow(T("2027-07-01T00:00:00Z"));
    const preview = await api("POST", "/v1/workflows/schedules/preview", { cron: "61 * * * *" });
    expect(preview.status).toBe(422);
    expect(preview.body).toMatchObject({ code: "invalid_cron", field: "cron" });
    const sid = uid("bad-patch");
    expect((await api("POST", "/v1/workflows/schedules", { schedule_id: sid, workflow: "bad-wf", key: sid, cron: "0 9 * * *" })).status).toBe(201);
    const patch = await api("PATCH", `/v1/workflows/schedules/${sid}`, { cron: "0 0 30 2 *" });
    expect(patch.status).toBe(422);
    expect(patch.body).toMatchObject({ code: "invalid_cron", field: "cron" });
    expect((await api("GET", `/v1/workflows/schedules/${sid}`)).body.spec.cron_expressions).toEqual(["0 9 * * *"]);
    const reg = await api("POST", "/v1/workflows/workers/register", { identity: "bad-cron", task_queue: uid("q"), workflows: [{ name: uid("bad-cron-wf"), schedules: [{ cron: "every day" }] }], activities: [] });
    expect(reg.status).toBe(422);
    expect(reg.body).toMatchObject({ code: "invalid_cron", field: "workflows.0.schedules.0.cron" });
  });

  it("preview returns the next N fire times, DST-aware, without creating anything", async () => {
    // `after` must not precede now: preview compiles the spec as if created now (see the report).
    setNow(T("2027-01-01T00:00:00Z"));
    const before = await total();
    const preview = async (body: Record<string, unknown>) => {
      const r = await api("POST", "/v1/workflows/schedules/preview", body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.fire_times.map((f: { nominal: string }) => f.nominal);
    };
    // New York spring-forward: 02:30 on 03-14 fires once, at 03:30 EDT.
    expect(await preview({ cron: "30 2 * * *", timezone: "America/New_York", after: "2027-03-12T12:00:00Z", count: 4 })).toEqual([
      "2027-03-13T07:30:00.000Z",
      "2027-03-14T07:30:00.000Z",
      "2027-03-15T06:30:00.000Z",
      "2027-03-16T06:30:00.000Z",
    ]);
    // A shifted fire that lands on a real 03:30 match is one fire, not two.
    expect(await preview({ cron_expressions: ["30 2 * * *", "30 3 * * *"], timezone: "America/New_York", after: "2027-03-13T12:00:00Z", count: 3 })).toEqual([
      "2027-03-14T07:30:00.000Z",
      "2027-03-15T06:30:00.000Z",
      "2027-03-15T07:30:00.000Z",
    ]);
    // Fall-back: a fixed hour fires once; an hour field of * fires in every real hour.
    expect(await preview({ cron: "30 1 * * *", timezone: "America/New_York", after: "2027-11-06T12:00:00Z", count: 2 })).toEqual(["2027-11-07T05:30:00.000Z", "2027-11-08T06:30:00.000Z"]);
    expect(await preview({ cron: "30 * * * *", timezone: "America/New_York", after: "2027-11-07T04:00:00Z", count: 4 })).toEqual([
      "2027-11-07T04:30:00.000Z",
      "2027-11-07T05:30:00.000Z",
      "2027-11-07T06:30:00.000Z",
      "2027-11-07T07:30:00.000Z",
    ]);
    expect(await preview({ cron: "15 2 * * *", timezone: "Australia/Lord_Howe", after: "2027-10-01T00:00:00Z", count: 3 })).toEqual([
      "2027-10-01T15:45:00.000Z",
      "2027-10-02T15:45:00.000Z",
      "2027-10-03T15:15:00.000Z",
    ]);
    const bad = await api("POST", "/v1/workflows/schedules/preview", { cron: "0 9 * * *", timezone: "Nowhere/Land" });
    expect(bad.status).toBe(422);
    expect(bad.body.field).toBe("timezone");
    await new Promise((res) => setTimeout(res, 30));
    expect(await total()).toBe(before);
  });
});

describe("exclusions that leave a sparse spec", () => {
  it("fires the one hour a week two exclusions leave, and refuses (422 naming exclude) exclusions too fine-grained to search, writing nothing", async () => {
    setNow(T("2027-01-04T00:00:00Z")); // a Monday
    const sparse = await api("POST", "/v1/workflows/schedules", { workflow: uid("sparse"), cron: "* * * * * *", exclude: ["* * 0-22 * * *", "* * 23 * * 1-6"], task_queue: uid("q") });
    expect(sparse.status, JSON.stringify(sparse.body)).toBe(201);
    expect(sparse.body.status).toBe("active");
    expect(sparse.body.next_fire_times[0].nominal).toBe("2027-01-10T23:00:00.000Z");

    const wf = uid("too-fine");
    const spec = { cron: "* * * * * *", exclude: ["0-29 * * * * *", "30-59 * * * * 1-6"] };
    const create = await api("POST", "/v1/workflows/schedules", { workflow: wf, ...spec });
    expect(create.status).toBe(422);
    expect(create.body.field).toBe("exclude");
    expect((await api("GET", `/v1/workflows/schedules?workflow=${wf}`)).body.schedules).toEqual([]);
    const preview = await api("POST", "/v1/workflows/schedules/preview", spec);
    expect(preview.status).toBe(422);
    expect(preview.body.field).toBe("exclude");
    // Searching past exclusions second by second is CPU work: seconds on a loaded 2-core machine.
  }, 30_000);
});
