import { describe, expect, it } from "vitest";
import { schedules, SundialApiError, type Schedule } from "@sundial/sdk/client";
import { CreateScheduleRequest } from "@sundial/sdk/protocol";
import { toWireSchedule } from "@sundial/sdk/worker";
import { type ScheduleDefinition } from "@sundial/sdk/workflow";
import { BASE, client, fail, fake, last, ok, reminder, sent, useFakePlatform, wireSchedule } from "./helpers/schedules.ts";

// Creating schedules and the camelCase → wire mapping; get, list and the changes are in schedules-client-manage.test.ts.
useFakePlatform();

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
      recentActions: [{ at: "2026-11-22T09:01:00.000Z", nominal: "2026-11-22T09:01:00.000Z", actual: "2026-11-22T09:01:00.000Z", runId: "user-reminder:user_123:2026-11-22T09:01:00.000Z:trigger:r1", kind: "trigger", outcome: "started" }],
      running: ["user-reminder:user_123:2026-11-22T09:01:00.000Z:trigger:r1"],
      buffered: 0,
      backfills: [],
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
      "policy.catchup_window_seconds: unknown option (did you mean catchupWindowSeconds?)",
    );
    await expect(client.schedules.create({ workflow: "w", cron: "@daily", task_queue: "gpu" } as never)).rejects.toThrow("task_queue: unknown option (did you mean taskQueue?)");
    await expect(client.schedules.update("s", { interval_seconds: 600 } as never)).rejects.toThrow("interval_seconds: unknown option (did you mean intervalSeconds?)");
    await expect(client.schedules.update("s", { policy: { retry_max: 3 } } as never)).rejects.toThrow("policy.retry_max: unknown option (did you mean retryMax?)");
    await expect(client.schedules.preview({ cron: "@daily", tz: "UTC" } as never)).rejects.toThrow("tz: unknown option; expected one of cronExpressions, cron,");
    // The options of the other calls too (trigger and backfill used to drop them).
    await expect(client.schedules.trigger("s", { overlapPolicy: "ALLOW_ALL" } as never)).rejects.toThrow("overlapPolicy: unknown option; expected one of input, overlap, requestId, signal");
    await expect(client.schedules.trigger("s", { requestID: "r1" } as never)).rejects.toThrow("requestID: unknown option; expected one of");
    await expect(client.schedules.trigger("s", { request_id: "r1" } as never)).rejects.toThrow("request_id: unknown option (did you mean requestId?)");
    await expect(client.schedules.backfill("s", { startAt: "2026-01-01T00:00:00Z", endAt: "2026-01-02T00:00:00Z", overlapPolicy: "ALLOW_ALL" } as never)).rejects.toThrow("overlapPolicy: unknown option; expected one of startAt, endAt, overlap, requestId, signal");
    await expect(client.schedules.backfill("s", { start_at: "2026-01-01T00:00:00Z", endAt: "2026-01-02T00:00:00Z" } as never)).rejects.toThrow("start_at: unknown option (did you mean startAt?)");
    await expect(client.schedules.preview({ cron: "@daily" }, { limit: 3 } as never)).rejects.toThrow("limit: unknown option; expected one of count, after, scheduleId, signal");
    await expect(client.schedules.update("s", { note: "n" }, { ifMatch: 3 } as never)).rejects.toThrow("ifMatch: unknown option; expected one of version, signal");
    await expect(client.schedules.resume("s", "back", { catch_up: true } as never)).rejects.toThrow("catch_up: unknown option (did you mean catchUp?)");
    // An interval's own fields too: a misspelt offset would fire at the start of every hour instead.
    await expect(client.schedules.create({ workflow: "w", intervals: [{ every: "1h", ofset: "5m" }] as never })).rejects.toThrow("intervals.0.ofset: unknown option; expected one of every, offset");
    await expect(client.schedules.update("s", { intervals: [{ every: "1h" }, { every: "1d", offset_seconds: 60 }] as never })).rejects.toThrow("intervals.1.offset_seconds: unknown option (did you mean offset? It takes a duration");
    await expect(client.schedules.preview({ intervals: [{ every_seconds: 60 }] } as never)).rejects.toThrow("intervals.0.every_seconds: unknown option (did you mean every?");
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
