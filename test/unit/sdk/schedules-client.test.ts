import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { schedules, SundialApiError, SundialClient, type Schedule } from "@sundial/sdk/client";
import { BackfillRequest, CreateScheduleRequest, PauseRequest, PreviewRequest, ResumeRequest, TriggerRequest, UpdateScheduleRequest, type Schedule as WireSchedule, type ScheduleSummary as WireSummary } from "@sundial/sdk/protocol";
import { toWireSchedule } from "@sundial/sdk/worker";
import { defineWorkflow, type ScheduleDefinition } from "@sundial/sdk/workflow";
import { FakePlatform, problem, type FakeAnswer, type FakeRequest } from "./helpers/fake-platform.ts";

const BASE = "/v1/workflows/schedules";

/** A complete describe answer, as the platform renders it (typed, so it cannot lack a field). */
const wireSchedule: WireSchedule = {
  schedule_id: "user-reminder:user_123",
  workflow: "user-reminder",
  key: "user_123",
  source: "api",
  status: "active",
  note: "",
  version: 3,
  spec: {
    cron_expressions: ["0 8 * * *"],
    intervals: [{ every: 3600, offset: 300 }],
    at: ["2027-01-01T00:00:00.000Z"],
    start_at: null,
    end_at: "2027-12-31T00:00:00.000Z",
    repeat_count: 0,
    exclude: ["* * 25 12 *"],
    jitter_seconds: 30,
    timezone: "America/Los_Angeles",
  },
  description: "at 08:00 every day (America/Los_Angeles)",
  policy: { catchup_window_seconds: 86_400, overlap: "SKIP", retry_max: 2, retry_delay_seconds: null, on_failure: "pause" },
  input: { user_id: "user_123", quiet_hours: { start_at: 22 } },
  task_queue: "default",
  execution_timeout: 3600,
  created_at: "2026-11-22T09:00:00.000Z",
  updated_at: "2026-11-22T09:05:00.000Z",
  next_fire_times: [{ nominal: "2026-11-23T16:00:00.000Z", actual: "2026-11-23T16:00:12.000Z" }],
  next_run_at: "2026-11-23T16:00:12.000Z",
  last_fire_at: null,
  recent_actions: [{ at: "2026-11-22T09:01:00.000Z", nominal: "2026-11-22T09:01:00.000Z", actual: "2026-11-22T09:01:00.000Z", run_id: "user-reminder:user_123:trigger:r1", kind: "trigger", outcome: "started" }],
  running: ["user-reminder:user_123:trigger:r1"],
  buffered: 0,
  counters: { fired: 1, skipped_overlap: 2, skipped_catchup: 3, failed: 0 },
  current_repeat: 1,
  current_retry: 0,
};

const summary = (id: string, key: string): WireSummary => ({
  schedule_id: id,
  workflow: "user-reminder",
  key,
  status: "active",
  source: "api",
  next_fire_at: "2026-11-23T16:00:00.000Z",
  next_run_at: "2026-11-23T16:00:07.000Z",
  last_fire_at: null,
  current_repeat: 2,
  current_retry: 1,
  created_at: "2026-11-22T09:00:00.000Z",
});

const ok = (status: number, body?: unknown): FakeAnswer => ({ status, ...(body === undefined ? {} : { body }) });
const fail = (status: number, code: string, detail: string, field?: string): FakeAnswer => ({ status, problem: true, body: { ...problem(status, code, detail), ...(field ? { field } : {}) } });

const reminder = defineWorkflow({
  name: "user-reminder",
  input: z.object({ user_id: z.string() }),
  executionTimeout: "10m",
  taskQueue: "reminders",
  run: async () => null,
});

let fake: FakePlatform;
let client: SundialClient;

beforeAll(async () => {
  fake = await new FakePlatform().start();
  client = new SundialClient({ url: fake.url, apiKey: "dev.key" });
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.requests.length = 0;
});

/** Requests to the schedules API, as `METHOD path?query body`. */
function sent(): string[] {
  return fake.requests.filter((r) => r.path.startsWith(BASE)).map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ""} ${r.rawBody}`);
}
const last = (): FakeRequest => fake.requests[fake.requests.length - 1]!;

describe("client.schedules.create", () => {
  it("sends Polos' shape as written (cron + timezone + key) and maps the 201 answer to camelCase", async () => {
    fake.on(`POST ${BASE}`, () => ok(201, wireSchedule));
    const out = await client.schedules.create({ workflow: "user-reminder", cron: "0 8 * * *", timezone: "America/Los_Angeles", key: "user_123" });
    expect(last()).toMatchObject({ method: "POST", path: BASE, query: "", headers: { authorization: "Bearer dev.key", "content-type": "application/json" } });
    expect(JSON.parse(last().rawBody)).toEqual({ workflow: "user-reminder", cron: "0 8 * * *", timezone: "America/Los_Angeles", key: "user_123" });
    expect(out.scheduleId).toBe("user-reminder:user_123");
    expect(out.created).toBe(true);
    const expected: Schedule = {
      scheduleId: "user-reminder:user_123",
      workflow: "user-reminder",
      key: "user_123",
      source: "api",
      status: "active",
      note: "",
      version: 3,
      spec: {
        cronExpressions: ["0 8 * * *"],
        intervals: [{ every: 3600, offset: 300 }],
        at: ["2027-01-01T00:00:00.000Z"],
        startAt: null,
        endAt: "2027-12-31T00:00:00.000Z",
        repeatCount: 0,
        exclude: ["* * 25 12 *"],
        jitterSeconds: 30,
        timezone: "America/Los_Angeles",
      },
      description: "at 08:00 every day (America/Los_Angeles)",
      policy: { catchupWindowSeconds: 86_400, overlap: "SKIP", retryMax: 2, retryDelaySeconds: null, onFailure: "pause" },
      // The input is the user's: its keys are never converted.
      input: { user_id: "user_123", quiet_hours: { start_at: 22 } },
      taskQueue: "default",
      executionTimeout: 3600,
      createdAt: "2026-11-22T09:00:00.000Z",
      updatedAt: "2026-11-22T09:05:00.000Z",
      nextFireTimes: [{ nominal: "2026-11-23T16:00:00.000Z", actual: "2026-11-23T16:00:12.000Z" }],
      nextRunAt: "2026-11-23T16:00:12.000Z",
      lastFireAt: null,
      recentActions: [{ at: "2026-11-22T09:01:00.000Z", nominal: "2026-11-22T09:01:00.000Z", actual: "2026-11-22T09:01:00.000Z", runId: "user-reminder:user_123:trigger:r1", kind: "trigger", outcome: "started" }],
      running: ["user-reminder:user_123:trigger:r1"],
      buffered: 0,
      counters: { fired: 1, skippedOverlap: 2, skippedCatchup: 3, failed: 0 },
      currentRepeat: 1,
      currentRetry: 0,
    };
    expect(out.schedule).toEqual(expected);
  });

  it("a 200 answer is the (workflow, key) upsert: created is false", async () => {
    fake.on(`POST ${BASE}`, () => ok(200, { ...wireSchedule, version: 4 }));
    const out = await client.schedules.create({ workflow: "user-reminder", cron: "0 15 * * *", timezone: "America/Chicago", key: "user_123" });
    expect(out).toMatchObject({ scheduleId: "user-reminder:user_123", created: false, schedule: { version: 4 } });
  });

  it("maps every option to snake_case: durations to seconds, Dates to RFC 3339, the definition's defaults", async () => {
    fake.on(`POST ${BASE}`, () => ok(201, wireSchedule));
    await client.schedules.create({
      workflow: reminder,
      key: "user_9",
      scheduleId: "reminders-user-9",
      cronExpressions: ["0 8 * * 1-5", "0 10 * * 0,6"],
      cron: "@monthly",
      intervals: [{ every: "1h", offset: "5m" }, { every: 90 }],
      intervalSeconds: "10m",
      at: [new Date("2026-12-24T18:00:00Z"), "2026-12-31T23:00:00+01:00"],
      startAt: new Date(Date.UTC(2026, 11, 1)),
      endAt: "2027-12-01T00:00:00Z",
      repeatCount: 100,
      exclude: ["* * 25 12 *"],
      jitter: "30s",
      timezone: "Europe/Berlin",
      input: { user_id: "user_9" },
      policy: { catchupWindow: "7d", overlap: "BUFFER_ONE", retryMax: 3, retryDelay: "2m", onFailure: "dead" },
      note: "created by the onboarding flow",
      paused: true,
    });
    const body = JSON.parse(last().rawBody) as Record<string, unknown>;
    expect(body).toEqual({
      workflow: "user-reminder",
      key: "user_9",
      schedule_id: "reminders-user-9",
      cron_expressions: ["0 8 * * 1-5", "0 10 * * 0,6"],
      cron: "@monthly",
      intervals: [
        { every: 3600, offset: 300 },
        { every: 90, offset: 0 },
      ],
      interval_seconds: 600,
      at: ["2026-12-24T18:00:00.000Z", "2026-12-31T23:00:00+01:00"],
      start_at: "2026-12-01T00:00:00.000Z",
      end_at: "2027-12-01T00:00:00Z",
      repeat_count: 100,
      exclude: ["* * 25 12 *"],
      jitter_seconds: 30,
      timezone: "Europe/Berlin",
      input: { user_id: "user_9" },
      policy: { catchup_window_seconds: 604_800, overlap: "BUFFER_ONE", retry_max: 3, retry_delay_seconds: 120, on_failure: "dead" },
      note: "created by the onboarding flow",
      paused: true,
      task_queue: "reminders",
      execution_timeout: 600,
    });
    // The platform's own schema accepts what the client sends.
    expect(CreateScheduleRequest.safeParse(body).success).toBe(true);
  });

  it("the Mistral and Pipelit shapes map to the documented wire bodies", async () => {
    fake.on(`POST ${BASE}`, () => ok(201, wireSchedule));
    await client.schedules.create({ workflow: "report_workflow", input: { report_type: "daily" }, cronExpressions: ["0 0 * * *"], policy: { catchupWindow: 86_400, overlap: "SKIP" } });
    await client.schedules.create({ workflow: "health-monitor", intervalSeconds: 3600, repeatCount: 0, policy: { retryMax: 3, onFailure: "dead" } });
    await client.schedules.create({ workflow: "reminder", intervalSeconds: "10m", repeatCount: 1 });
    expect(sent()).toEqual([
      `POST ${BASE} {"workflow":"report_workflow","cron_expressions":["0 0 * * *"],"input":{"report_type":"daily"},"policy":{"catchup_window_seconds":86400,"overlap":"SKIP"}}`,
      `POST ${BASE} {"workflow":"health-monitor","interval_seconds":3600,"repeat_count":0,"policy":{"retry_max":3,"on_failure":"dead"}}`,
      `POST ${BASE} {"workflow":"reminder","interval_seconds":600,"repeat_count":1}`,
    ]);
  });

  it("schedules.create(client, …) is Polos' module-level form of the same call", async () => {
    fake.on(`POST ${BASE}`, () => ok(201, wireSchedule));
    const { scheduleId, created } = await schedules.create(client, { workflow: "user-reminder", cron: "0 8 * * *", timezone: "America/Los_Angeles", key: "user_123" });
    expect({ scheduleId, created }).toEqual({ scheduleId: "user-reminder:user_123", created: true });
    expect(sent()).toEqual([`POST ${BASE} {"workflow":"user-reminder","key":"user_123","cron":"0 8 * * *","timezone":"America/Los_Angeles"}`]);
  });

  it("a bad duration or Date fails where it is written, before anything is sent", async () => {
    await expect(client.schedules.create({ workflow: "w", intervals: [{ every: "often" as never }] })).rejects.toThrow('intervals.0.every: invalid duration "often"');
    await expect(client.schedules.create({ workflow: "w", cron: "@daily", policy: { retryDelay: "-5s" as never } })).rejects.toThrow("policy.retryDelay: invalid duration");
    await expect(client.schedules.create({ workflow: "w", cron: "@daily", startAt: new Date("nope") })).rejects.toThrow("startAt: invalid Date");
    await expect(client.schedules.preview({ cron: "@daily" }, { after: new Date(NaN) })).rejects.toBeInstanceOf(TypeError);
    expect(sent()).toEqual([]);
  });

  it("an unknown option (a typo, or the wire's snake_case name) fails with the name meant, before anything is sent", async () => {
    await expect(client.schedules.create({ workflow: "w", cron: "@daily", policy: { catchup_window_seconds: 604_800 } as never })).rejects.toThrow(
      "policy.catchup_window_seconds: unknown option (did you mean catchupWindow? It takes a duration",
    );
    await expect(client.schedules.create({ workflow: "w", cron: "@daily", task_queue: "gpu" } as never)).rejects.toThrow("task_queue: unknown option (did you mean taskQueue?)");
    await expect(client.schedules.update("s", { interval_seconds: 600 } as never)).rejects.toThrow("interval_seconds: unknown option (did you mean intervalSeconds?)");
    await expect(client.schedules.update("s", { policy: { retry_max: 3 } } as never)).rejects.toThrow("policy.retry_max: unknown option (did you mean retryMax?)");
    await expect(client.schedules.preview({ cron: "@daily", tz: "UTC" } as never)).rejects.toThrow("tz: unknown option; expected one of cronExpressions, cron,");
    expect(sent()).toEqual([]);
    // An option set to undefined is no option.
    fake.on(`POST ${BASE}`, () => ok(201, wireSchedule));
    await client.schedules.create({ workflow: "w", cron: "@daily", policy: { overlap: undefined } });
  });

  it("the platform's refusals surface as SundialApiError with code and field", async () => {
    fake.on(`POST ${BASE}`, () => fail(422, "validation_failed", 'timezone: unknown time zone "Mars/Olympus"', "timezone"));
    const err = await client.schedules.create({ workflow: "w", cron: "@daily", timezone: "Mars/Olympus" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SundialApiError);
    expect(err).toMatchObject({ status: 422, code: "validation_failed", field: "timezone" });
  });

  it("an answer that is not a schedule is an invalid_response error, not a half-typed object", async () => {
    fake.on(`POST ${BASE}`, () => ok(201, { ...wireSchedule, counters: { fired: "many" } }));
    await expect(client.schedules.create({ workflow: "w", cron: "@daily" })).rejects.toMatchObject({ code: "invalid_response", message: expect.stringContaining("counters.fired") });
  });
});

describe("client.schedules: read, list, change", () => {
  it("get escapes the id into the path and maps the answer", async () => {
    fake.on(`GET ${BASE}/user-reminder%3Auser_123`, () => ok(200, wireSchedule));
    const s = await client.schedules.get("user-reminder:user_123");
    expect(sent()).toEqual([`GET ${BASE}/user-reminder%3Auser_123 `]);
    expect(s).toMatchObject({ scheduleId: "user-reminder:user_123", nextFireTimes: [{ nominal: "2026-11-23T16:00:00.000Z" }], counters: { skippedCatchup: 3 }, recentActions: [{ runId: "user-reminder:user_123:trigger:r1" }] });
  });

  it("get of an unknown schedule is a SundialApiError not_found", async () => {
    fake.on(`GET ${BASE}/nope`, () => fail(404, "not_found", "no schedule nope"));
    await expect(client.schedules.get("nope")).rejects.toMatchObject({ name: "SundialApiError", status: 404, code: "not_found" });
  });

  it("list sends the filters as snake_case query parameters and maps the page", async () => {
    fake.on(`GET ${BASE}`, () => ok(200, { schedules: [summary("user-reminder:user_123", "user_123")], next_page_token: "tok-2" }));
    const page = await client.schedules.list({ key: "user_123", workflow: "user-reminder", status: "active", source: "api", pageSize: 5, pageToken: "tok-1" });
    expect(last().query).toBe("key=user_123&workflow=user-reminder&status=active&source=api&page_size=5&page_token=tok-1");
    expect(page).toEqual({
      schedules: [{ scheduleId: "user-reminder:user_123", workflow: "user-reminder", key: "user_123", status: "active", source: "api", nextFireAt: "2026-11-23T16:00:00.000Z", nextRunAt: "2026-11-23T16:00:07.000Z", lastFireAt: null, currentRepeat: 2, currentRetry: 1, createdAt: "2026-11-22T09:00:00.000Z" }],
      nextPageToken: "tok-2",
    });
    await client.schedules.list();
    expect(last().query).toBe("");
  });

  it("listAll walks every page, passing each next_page_token, and stops at null", async () => {
    const pages: Record<string, unknown> = {
      "": { schedules: [summary("a", "u1"), summary("b", "u2")], next_page_token: "p2" },
      p2: { schedules: [summary("c", "u3")], next_page_token: "p3" },
      p3: { schedules: [], next_page_token: null },
    };
    fake.on(`GET ${BASE}`, (_, req) => ok(200, pages[new URLSearchParams(req.query).get("page_token") ?? ""]));
    const ids: string[] = [];
    for await (const s of client.schedules.listAll({ workflow: "user-reminder", pageSize: 2 })) ids.push(s.scheduleId);
    expect(ids).toEqual(["a", "b", "c"]);
    expect(fake.requests.map((r) => r.query)).toEqual(["workflow=user-reminder&page_size=2", "workflow=user-reminder&page_size=2&page_token=p2", "workflow=user-reminder&page_size=2&page_token=p3"]);
  });

  it("listAll stops early when the loop breaks (no page is fetched ahead)", async () => {
    fake.on(`GET ${BASE}`, () => ok(200, { schedules: [summary("a", "u1"), summary("b", "u2")], next_page_token: "more" }));
    for await (const s of client.schedules.listAll()) if (s.scheduleId === "a") break;
    expect(fake.requests).toHaveLength(1);
  });

  it("update sends a PATCH with the changed fields and the version, and maps the answer", async () => {
    fake.on(`PATCH ${BASE}/user-reminder%3Auser_123`, () => ok(200, { ...wireSchedule, version: 4 }));
    const s = await client.schedules.update(
      "user-reminder:user_123",
      { cron: "0 15 * * *", timezone: "America/Chicago", jitter: "1m", input: { user_id: "user_123" }, executionTimeout: "30m", taskQueue: "reminders", policy: { retryMax: 5, overlap: "BUFFER_ALL" }, note: "moved to 3 pm" },
      { version: 3 },
    );
    expect(s.version).toBe(4);
    const body = JSON.parse(last().rawBody) as Record<string, unknown>;
    expect(body).toEqual({
      cron: "0 15 * * *",
      timezone: "America/Chicago",
      jitter_seconds: 60,
      input: { user_id: "user_123" },
      task_queue: "reminders",
      execution_timeout: 1800,
      policy: { retry_max: 5, overlap: "BUFFER_ALL" },
      note: "moved to 3 pm",
      version: 3,
    });
    expect(UpdateScheduleRequest.safeParse(body).success).toBe(true);
    // Pipelit's PATCH: just the fields that change.
    fake.on(`PATCH ${BASE}/health-monitor%3Aglobal`, () => ok(200, wireSchedule));
    await client.schedules.update("health-monitor:global", { intervalSeconds: 1800, policy: { retryMax: 5 } });
    expect(sent()[1]).toBe(`PATCH ${BASE}/health-monitor%3Aglobal {"interval_seconds":1800,"policy":{"retry_max":5}}`);
  });

  it("update moves a bound with a Date and removes one with null", async () => {
    fake.on(`PATCH ${BASE}/s1`, () => ok(200, wireSchedule));
    await client.schedules.update("s1", { startAt: new Date(Date.UTC(2027, 0, 1)), endAt: null });
    const body = JSON.parse(last().rawBody) as Record<string, unknown>;
    expect(body).toEqual({ start_at: "2027-01-01T00:00:00.000Z", end_at: null });
    expect(UpdateScheduleRequest.safeParse(body).success).toBe(true);
  });

  it("a stale version surfaces as SundialApiError version_conflict (409)", async () => {
    fake.on(`PATCH ${BASE}/s1`, () => fail(409, "version_conflict", "the schedule is at version 5, not 3", "version"));
    const err = await client.schedules.update("s1", { note: "x" }, { version: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SundialApiError);
    expect(err).toMatchObject({ status: 409, code: "version_conflict", field: "version", transient: false });
  });

  it("delete sends DELETE and resolves to undefined on 204", async () => {
    fake.on(`DELETE ${BASE}/user-reminder%3Auser_123`, () => ok(204));
    await expect(client.schedules.delete("user-reminder:user_123")).resolves.toBeUndefined();
    expect(sent()).toEqual([`DELETE ${BASE}/user-reminder%3Auser_123 `]);
  });

  it("pause and resume post the note (or an empty body) and return the schedule", async () => {
    fake.on(`POST ${BASE}/s1/pause`, () => ok(200, { ...wireSchedule, status: "paused", note: "maintenance" }));
    fake.on(`POST ${BASE}/s1/resume`, () => ok(200, wireSchedule));
    expect(await client.schedules.pause("s1", "maintenance")).toMatchObject({ status: "paused", note: "maintenance" });
    await client.schedules.pause("s1");
    expect((await client.schedules.resume("s1", "back")).status).toBe("active");
    await client.schedules.resume("s1");
    await client.schedules.resume("s1", undefined, { catchUp: true });
    expect(sent()).toEqual([
      `POST ${BASE}/s1/pause {"note":"maintenance"}`,
      `POST ${BASE}/s1/pause {}`,
      `POST ${BASE}/s1/resume {"note":"back"}`,
      `POST ${BASE}/s1/resume {}`,
      `POST ${BASE}/s1/resume {"catch_up":true}`,
    ]);
    for (const r of fake.requests) expect((r.path.endsWith("/resume") ? ResumeRequest : PauseRequest).safeParse(r.body).success).toBe(true);
  });

  it("trigger sends input, overlap and request_id and maps { runId, started, outcome }", async () => {
    fake.on(`POST ${BASE}/s1/trigger`, (body) => ok(202, body.overlap === "SKIP" ? { run_id: "", started: false, outcome: "skipped_overlap" } : { run_id: "s1:trigger:r-1", started: true, outcome: "started" }));
    expect(await client.schedules.trigger("s1", { input: { user_id: "u" }, overlap: "ALLOW_ALL", requestId: "r-1" })).toEqual({ runId: "s1:trigger:r-1", started: true, outcome: "started" });
    expect(await client.schedules.trigger("s1", { overlap: "SKIP" })).toEqual({ runId: "", started: false, outcome: "skipped_overlap" });
    await client.schedules.trigger("s1");
    expect(sent()).toEqual([
      `POST ${BASE}/s1/trigger {"input":{"user_id":"u"},"overlap":"ALLOW_ALL","request_id":"r-1"}`,
      `POST ${BASE}/s1/trigger {"overlap":"SKIP"}`,
      `POST ${BASE}/s1/trigger {}`,
    ]);
    for (const r of fake.requests) expect(TriggerRequest.safeParse(r.body).success).toBe(true);
  });

  it("backfill sends the range as RFC 3339 (from Dates or strings) and maps the count; an empty range is a 409", async () => {
    fake.on(`POST ${BASE}/s1/backfill`, (body) => (body.start_at === body.end_at ? fail(409, "empty_backfill", "the spec has no fire times in that range", "start_at") : ok(202, { fires: 7 })));
    expect(await client.schedules.backfill("s1", { startAt: new Date("2026-11-01T00:00:00Z"), endAt: "2026-11-08T00:00:00Z", overlap: "ALLOW_ALL" })).toEqual({ fires: 7 });
    expect(last().body).toEqual({ start_at: "2026-11-01T00:00:00.000Z", end_at: "2026-11-08T00:00:00Z", overlap: "ALLOW_ALL" });
    expect(BackfillRequest.safeParse(last().body).success).toBe(true);
    await expect(client.schedules.backfill("s1", { startAt: "2026-11-01T00:00:00Z", endAt: "2026-11-01T00:00:00Z" })).rejects.toMatchObject({ status: 409, code: "empty_backfill", field: "start_at" });
  });

  it("preview sends the spec, count, after and schedule_id, and maps the fire times", async () => {
    const answer = {
      description: "at 02:30 every day (America/New_York)",
      timezone: "America/New_York",
      fire_times: [
        { nominal: "2027-03-13T07:30:00.000Z", actual: "2027-03-13T07:30:00.000Z" },
        { nominal: "2027-03-14T07:30:00.000Z", actual: "2027-03-14T07:30:00.000Z" },
      ],
    };
    fake.on(`POST ${BASE}/preview`, () => ok(200, answer));
    const out = await client.schedules.preview({ cron: "30 2 * * *", timezone: "America/New_York", jitter: 0 }, { count: 2, after: new Date("2027-03-13T00:00:00Z"), scheduleId: "dst-check" });
    expect(out).toEqual({ description: answer.description, timezone: "America/New_York", fireTimes: answer.fire_times });
    expect(last().body).toEqual({ cron: "30 2 * * *", timezone: "America/New_York", jitter_seconds: 0, count: 2, after: "2027-03-13T00:00:00.000Z", schedule_id: "dst-check" });
    expect(PreviewRequest.safeParse(last().body).success).toBe(true);
  });
});

describe("one camelCase → wire mapping for schedules", () => {
  it("a schedule declared in code and the same one created through the client send the same spec and policy", async () => {
    const definition: ScheduleDefinition = {
      key: "hourly-eu",
      intervals: [{ every: "1h", offset: "5m" }],
      at: [new Date("2026-12-24T18:00:00Z")],
      startAt: "2026-12-01T00:00:00Z",
      repeatCount: 100,
      exclude: ["* * 25 12 *"],
      jitter: "30s",
      timezone: "Europe/Berlin",
      input: { retention_days: 30 },
      policy: { catchupWindow: "7d", overlap: "BUFFER_ALL", retryMax: 3, retryDelay: "2m", onFailure: "pause" },
      note: "nightly",
    };
    fake.on(`POST ${BASE}`, () => ok(201, wireSchedule));
    await client.schedules.create({ workflow: "backup", ...definition });
    expect(last().body).toEqual({ workflow: "backup", ...toWireSchedule("backup", definition, 0) });
  });
});

describe("the Mistral seed's policy names", () => {
  it("ScheduleOverlapPolicy and ParentClosePolicy name every policy the wire takes, by its own name", async () => {
    const { ScheduleOverlapPolicy } = await import("@sundial/sdk/client");
    const { ParentClosePolicy } = await import("@sundial/sdk/workflow");
    const { OverlapPolicy } = await import("@sundial/sdk/protocol");
    expect(Object.values(ScheduleOverlapPolicy).sort()).toEqual([...OverlapPolicy.options].sort());
    for (const [k, v] of Object.entries(ScheduleOverlapPolicy)) expect(v).toBe(k);
    expect(ParentClosePolicy).toEqual({ ABANDON: "ABANDON", REQUEST_CANCEL: "REQUEST_CANCEL", TERMINATE: "TERMINATE" });
  });
});
