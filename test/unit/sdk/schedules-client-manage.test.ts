import { describe, expect, it } from "vitest";
import { SundialApiError } from "@sundial/sdk/client";
import { BackfillRequest, PauseRequest, PreviewRequest, ResumeRequest, TriggerRequest, UpdateScheduleRequest } from "@sundial/sdk/protocol";
import { BASE, client, fail, fake, last, ok, reminder, sent, summary, useFakePlatform, wireSchedule } from "./helpers/schedules.ts";

useFakePlatform();

describe("client.schedules: read, list, change", () => {
  it("get escapes the id into the path and maps the answer", async () => {
    fake.on(`GET ${BASE}/user-reminder%3Auser_123`, () => ok(200, wireSchedule));
    const s = await client.schedules.get("user-reminder:user_123");
    expect(sent()).toEqual([`GET ${BASE}/user-reminder%3Auser_123 `]);
    expect(s).toMatchObject({ scheduleId: "user-reminder:user_123", nextFireTimes: [{ nominal: "2026-11-23T16:00:00.000Z" }], counters: { skippedCatchup: 3 }, recentActions: [{ runId: "user-reminder:user_123:2026-11-22T09:01:00.000Z:trigger:r1" }] });
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
    fake.on(`POST ${BASE}/s1/trigger`, (body) => ok(202, body.overlap === "SKIP" ? { run_id: "", started: false, outcome: "skipped_overlap" } : { run_id: "s1:2026-11-22T09:01:00.000Z:trigger:r-1", started: true, outcome: "started" }));
    expect(await client.schedules.trigger("s1", { input: { user_id: "u" }, overlap: "ALLOW_ALL", requestId: "r-1" })).toEqual({ runId: "s1:2026-11-22T09:01:00.000Z:trigger:r-1", started: true, outcome: "started" });
    expect(await client.schedules.trigger("s1", { overlap: "SKIP" })).toEqual({ runId: "", started: false, outcome: "skipped_overlap" });
    await client.schedules.trigger("s1");
    expect(sent()).toEqual([
      `POST ${BASE}/s1/trigger {"input":{"user_id":"u"},"overlap":"ALLOW_ALL","request_id":"r-1"}`,
      `POST ${BASE}/s1/trigger {"overlap":"SKIP"}`,
      `POST ${BASE}/s1/trigger {}`,
    ]);
    for (const r of fake.requests) expect(TriggerRequest.safeParse(r.body).success).toBe(true);
  });

  it("backfill sends the range as RFC 3339 (from Dates or strings) and its request id, and maps the answer; an empty range is a 409", async () => {
    fake.on(`POST ${BASE}/s1/backfill`, (body) => (body.start_at === body.end_at ? fail(409, "empty_backfill", "the spec has no fire times in that range", "start_at") : ok(202, { backfill_id: 3, fires: 7 })));
    expect(await client.schedules.backfill("s1", { startAt: new Date("2026-11-01T00:00:00Z"), endAt: "2026-11-08T00:00:00Z", overlap: "ALLOW_ALL" })).toEqual({ backfillId: 3, fires: 7 });
    expect(last().body).toEqual({ start_at: "2026-11-01T00:00:00.000Z", end_at: "2026-11-08T00:00:00Z", overlap: "ALLOW_ALL" });
    expect(BackfillRequest.safeParse(last().body).success).toBe(true);
    await client.schedules.backfill("s1", { startAt: "2026-11-01T00:00:00Z", endAt: "2026-11-08T00:00:00Z", requestId: "fill-nov" });
    expect(last().body).toEqual({ start_at: "2026-11-01T00:00:00Z", end_at: "2026-11-08T00:00:00Z", request_id: "fill-nov" });
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
