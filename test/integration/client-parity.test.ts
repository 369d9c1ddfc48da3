import { describe, expect, it } from "vitest";
import { camelize, SundialApiError } from "@sundial/sdk/client";
import { api, uid } from "./helpers.ts";
import { completeRun, eventually, setNow, succeed, T } from "./schedule-helpers.ts";
import { sdkClient } from "./sdk-worker.ts";

// The typed client against the real Worker, route by route: each documented request field reaches
// the platform in snake_case, and each answer parses against the client's wire schemas and comes
// back camelCased. (A field the client dropped, or an answer it could not parse, fails here.)

const client = sdkClient();

describe("client.executions against the Worker", () => {
  it("signal answers whether it was recorded: a request id sent again is recorded once", async () => {
    const id = uid("parity-signal");
    await client.executions.start("parity-wf", { executionId: id, taskQueue: uid("q-parity") });
    expect(await client.executions.signal(id, "approve", { by: "ada" }, { requestId: "r1" })).toEqual({ recorded: true });
    expect(await client.executions.signal(id, "approve", { by: "ada" }, { requestId: "r1" })).toEqual({ recorded: false });
    const { events } = await client.executions.history(id);
    expect(events.filter((e) => e.type === "signal_received")).toHaveLength(1);
  });

  it("start, get, list, history paging, signal-with-start, cancel and terminate map every field", async () => {
    const queue = uid("q-parity");
    const id = uid("parity-exec");
    const started = await client.executions.start("parity-wf", { executionId: id, taskQueue: queue, input: { user_id: 7 }, executionTimeout: "2h" });
    expect(started).toMatchObject({ executionId: id, started: true, status: "running", taskQueue: queue, input: { user_id: 7 }, executionTimeout: 7200, closedAt: null, failure: null, schedule: null });
    const again = await client.executions.start("parity-wf", { executionId: id, taskQueue: queue });
    expect(again.started).toBe(false);
    await expect(client.executions.start("parity-wf", { executionId: id, idReusePolicy: "reject_duplicate" })).rejects.toMatchObject({ status: 409, code: "execution_exists" });

    const described = await client.executions.get(id);
    expect(described).toMatchObject({ executionId: id, historyLength: 2, cancelRequested: false, pendingActivities: [] });
    expect(typeof described.historySizeBytes).toBe("number");

    const first = await client.executions.history(id, { pageSize: 1 });
    expect(first.events.map((e) => e.type)).toEqual(["execution_started"]);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = await client.executions.history(id, { pageSize: 1, pageToken: first.nextPageToken! });
    expect(second.events.map((e) => [e.id, e.type])).toEqual([[2, "workflow_task_scheduled"]]);

    const listed = await eventually(async () => {
      const page = await client.executions.list({ workflow: "parity-wf", status: "running", pageSize: 500 });
      const row = page.executions.find((e) => e.executionId === id);
      if (!row) throw new Error("not indexed yet");
      return row;
    });
    expect(listed).toEqual({ executionId: id, runId: started.runId, workflow: "parity-wf", status: "running", taskQueue: queue, startedAt: started.startedAt, closedAt: null, scheduleId: null });

    const sws = uid("parity-sws");
    const s1 = await client.executions.signalWithStart("parity-wf", { executionId: sws, taskQueue: queue, signalName: "go", signalInput: { n: 1 }, requestId: "once" });
    expect(s1).toMatchObject({ executionId: sws, started: true });
    const s2 = await client.executions.signalWithStart("parity-wf", { executionId: sws, taskQueue: queue, signalName: "go", signalInput: { n: 1 }, requestId: "once" });
    expect(s2.started).toBe(false);

    expect(await client.executions.cancel(id, "no longer needed")).toMatchObject({ executionId: id, cancelRequested: true });
    expect(await client.executions.terminate(sws, "stuck")).toMatchObject({ executionId: sws, status: "terminated", closedAt: expect.any(String) });
    await expect(client.executions.cancel(sws)).rejects.toMatchObject({ status: 409, code: "execution_closed", field: "execution_id" });
  });
  it("reset sends its exclude flags; result reads the outcome of the run the reset started", async () => {
    const queue = uid("q-parity-reset");
    const id = uid("parity-reset");
    await client.executions.start("parity-wf", { executionId: id, taskQueue: queue });
    await completeRun(queue, id, []);
    await client.executions.signal(id, "late", { n: 1 });
    const { events } = await client.executions.history(id);
    const point = events.filter((e) => e.type === "workflow_task_completed").at(-1)!;
    const reset = await client.executions.reset(id, { eventId: point.id, reason: "bug fixed", excludeSignals: true });
    expect(reset).toMatchObject({ executionId: id, runNumber: 2, status: "running", previousRunId: expect.any(String) });
    expect((await client.executions.history(id)).events.map((e) => e.type)).not.toContain("signal_received");
    await completeRun(queue, id, succeed({ done_at: "now" }));
    expect(await client.executions.result(id, { waitSeconds: 1, timeout: "10s" })).toEqual({ executionId: id, status: "completed", result: { done_at: "now" }, failure: null });
  });
});

describe("client.schedules against the Worker", () => {
  it("create, list filters and paging, update with a version, pause, resume, trigger, backfill, preview, delete", async () => {
    setNow(T("2027-05-05T10:00:00.000Z"));
    const key = uid("parity-key");
    const queue = uid("q-parity-s");
    const created = await client.schedules.create({ workflow: "parity-sched", key, cron: "0 * * * *", timezone: "Europe/Paris", taskQueue: queue, note: "hi", policy: { catchupWindow: "1h", overlap: "ALLOW_ALL", retryMax: 2, retryDelay: "30s", onFailure: "pause" } });
    expect(created.created).toBe(true);
    const s = created.schedule;
    expect(s).toMatchObject({ scheduleId: `parity-sched:${key}`, key, source: "api", status: "active", note: "hi", taskQueue: queue, executionTimeout: null, buffered: 0, running: [] });
    expect(s.policy).toEqual({ catchupWindowSeconds: 3600, overlap: "ALLOW_ALL", retryMax: 2, retryDelaySeconds: 30, onFailure: "pause" });
    expect(s.spec).toMatchObject({ cronExpressions: ["0 * * * *"], timezone: "Europe/Paris", startAt: null, endAt: null, jitterSeconds: 0 });
    expect(s.nextFireTimes[0]).toEqual({ nominal: "2027-05-05T11:00:00.000Z", actual: "2027-05-05T11:00:00.000Z" });
    expect(s.counters).toEqual({ fired: 0, skippedOverlap: 0, skippedCatchup: 0, failed: 0 });
    const other = await client.schedules.create({ workflow: "parity-sched", key: `${key}-b`, cron: "0 * * * *", taskQueue: queue });

    const page1 = await client.schedules.list({ workflow: "parity-sched", status: "active", source: "api", pageSize: 1 });
    expect(page1.schedules).toHaveLength(1);
    expect(page1.nextPageToken).toEqual(expect.any(String));
    const byKey = await client.schedules.list({ key });
    expect(byKey).toEqual({ schedules: [{ scheduleId: s.scheduleId, workflow: "parity-sched", key, status: "active", source: "api", nextFireAt: "2027-05-05T11:00:00.000Z", nextRunAt: "2027-05-05T11:00:00.000Z", lastFireAt: null, currentRepeat: 0, currentRetry: 0, createdAt: s.createdAt }], nextPageToken: null });
    expect((await client.schedules.list({ key, source: "code" })).schedules).toEqual([]);

    const updated = await client.schedules.update(s.scheduleId, { cron: "30 * * * *", endAt: "2027-06-01T00:00:00Z", policy: { retryMax: 3 } }, { version: s.version });
    expect(updated).toMatchObject({ version: s.version + 1, spec: { cronExpressions: ["30 * * * *"], endAt: "2027-06-01T00:00:00.000Z" }, policy: { retryMax: 3, overlap: "ALLOW_ALL" } });
    const conflict = await client.schedules.update(s.scheduleId, { note: "late" }, { version: s.version }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(SundialApiError);
    expect(conflict).toMatchObject({ status: 409, code: "version_conflict" });
    expect((await client.schedules.update(s.scheduleId, { endAt: null })).spec.endAt).toBeNull();

    expect(await client.schedules.pause(s.scheduleId, "maintenance")).toMatchObject({ status: "paused", note: "maintenance", nextRunAt: null });
    expect((await client.schedules.list({ key, status: "paused" })).schedules.map((r) => r.scheduleId)).toEqual([s.scheduleId]);
    expect(await client.schedules.resume(s.scheduleId, "back", { catchUp: true })).toMatchObject({ status: "active", note: "back" });

    const trig = await client.schedules.trigger(s.scheduleId, { input: null, overlap: "SKIP", requestId: "t-1" });
    expect(trig).toEqual({ runId: `${s.scheduleId}:2027-05-05T10:00:00.000Z:trigger:t-1`, started: true, outcome: "started" });
    expect(await client.schedules.trigger(s.scheduleId, { overlap: "SKIP", requestId: "t-1" })).toEqual(trig);
    expect((await client.executions.get(trig.runId)).input).toBeNull();
    const runs = await eventually(async () => {
      const page = await client.executions.list({ scheduleId: s.scheduleId });
      if (page.executions.length === 0) throw new Error("not indexed yet");
      return page.executions;
    });
    expect(runs.map((r) => [r.executionId, r.scheduleId])).toEqual([[trig.runId, s.scheduleId]]);

    const backfill = await client.schedules.backfill(s.scheduleId, { startAt: "2027-05-05T06:00:00Z", endAt: new Date("2027-05-05T08:00:00Z"), overlap: "ALLOW_ALL", requestId: "b-1" });
    expect(backfill).toEqual({ backfillId: 1, fires: 2 });
    expect(await client.schedules.backfill(s.scheduleId, { startAt: "2027-05-01T00:00:00Z", endAt: "2027-05-02T00:00:00Z", requestId: "b-1" })).toEqual(backfill);
    await expect(client.schedules.backfill(s.scheduleId, { startAt: "2027-05-05T06:31:00Z", endAt: "2027-05-05T06:59:00Z" })).rejects.toMatchObject({ status: 409, code: "empty_backfill" });

    const preview = await client.schedules.preview({ cron: "30 2 * * *", timezone: "America/New_York" }, { after: "2027-03-13T00:00:00Z", count: 2 });
    expect(preview).toEqual({ description: expect.any(String), timezone: "America/New_York", fireTimes: [{ nominal: "2027-03-13T07:30:00.000Z", actual: "2027-03-13T07:30:00.000Z" }, { nominal: "2027-03-14T07:30:00.000Z", actual: "2027-03-14T07:30:00.000Z" }] });

    await client.schedules.delete(s.scheduleId);
    await client.schedules.delete(other.scheduleId);
    await expect(client.schedules.get(s.scheduleId)).rejects.toMatchObject({ status: 404, code: "schedule_not_found" });
  });
});

describe("client answers keep every field the platform sends", () => {
  it("each read equals the raw answer camelCased: no field stripped by a client schema", async () => {
    const queue = uid("q-parity-raw");
    const id = uid("parity-raw");
    await client.executions.start("parity-wf", { executionId: id, taskQueue: queue, input: { a_b: 1 } });
    await completeRun(queue, id, []);
    await client.executions.signal(id, "go", { c_d: 2 }, { requestId: "raw-1" });
    const created = await client.schedules.create({ workflow: "parity-raw", key: id, cron: "0 * * * *", taskQueue: queue, jitter: "10s" });
    const triggered = await client.schedules.trigger(created.scheduleId, { requestId: "raw-t" });
    const sid = encodeURIComponent(created.scheduleId);
    await eventually(async () => {
      if ((await client.executions.list({ workflow: "parity-wf", pageSize: 1 })).executions.length === 0) throw new Error("not indexed yet");
    });
    const pairs: [string, () => Promise<unknown>][] = [
      [`/v1/workflows/executions/${id}`, () => client.executions.get(id)],
      [`/v1/workflows/executions/${id}/history`, () => client.executions.history(id)],
      [`/v1/workflows/executions?workflow=parity-wf&page_size=1`, () => client.executions.list({ workflow: "parity-wf", pageSize: 1 })],
      [`/v1/workflows/schedules/${sid}`, () => client.schedules.get(created.scheduleId)],
      [`/v1/workflows/schedules?key=${encodeURIComponent(id)}`, () => client.schedules.list({ key: id })],
      [`/v1/workflows/executions/${encodeURIComponent(triggered.runId)}`, () => client.executions.get(triggered.runId)],
      ["/v1/workflows/workers/whoami", () => client.whoami()],
      ["/v1/health", () => client.health()],
      ["/v1/admin/keys?page_size=2", () => client.keys.list({ pageSize: 2 })],
      [`/v1/workflows/task-queues/${encodeURIComponent(queue)}`, () => client.taskQueues.describe(queue)],
    ];
    for (const [path, read] of pairs) {
      const raw = await api("GET", path);
      expect(raw.status, path).toBe(200);
      expect(await read(), path).toEqual(camelize(raw.body));
    }
  });
});
