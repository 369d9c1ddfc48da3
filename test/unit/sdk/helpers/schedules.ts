import { afterAll, beforeAll, beforeEach } from "vitest";
import { z } from "zod";
import { SundialClient } from "@sundial/sdk/client";
import { type Schedule as WireSchedule, type ScheduleSummary as WireSummary } from "@sundial/sdk/protocol";
import { defineWorkflow } from "@sundial/sdk/workflow";
import { FakePlatform, problem, type FakeAnswer, type FakeRequest } from "./fake-platform.ts";

// Fixtures and the fake platform shared by schedules-client.test.ts and schedules-client-manage.test.ts.
export const BASE = "/v1/workflows/schedules";

/** A complete describe answer, as the platform renders it (typed, so it cannot lack a field). */
export const wireSchedule: WireSchedule = {
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
  recent_actions: [{ at: "2026-11-22T09:01:00.000Z", nominal: "2026-11-22T09:01:00.000Z", actual: "2026-11-22T09:01:00.000Z", run_id: "user-reminder:user_123:2026-11-22T09:01:00.000Z:trigger:r1", kind: "trigger", outcome: "started" }],
  running: ["user-reminder:user_123:2026-11-22T09:01:00.000Z:trigger:r1"],
  buffered: 0,
  backfills: [],
  counters: { fired: 1, skipped_overlap: 2, skipped_catchup: 3, failed: 0 },
  current_repeat: 1,
  current_retry: 0,
};

export const summary = (id: string, key: string): WireSummary => ({
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

export const ok = (status: number, body?: unknown): FakeAnswer => ({ status, ...(body === undefined ? {} : { body }) });
export const fail = (status: number, code: string, detail: string, field?: string): FakeAnswer => ({ status, problem: true, body: { ...problem(status, code, detail), ...(field ? { field } : {}) } });

export const reminder = defineWorkflow({
  name: "user-reminder",
  input: z.object({ user_id: z.string() }),
  executionTimeout: "10m",
  taskQueue: "reminders",
  run: async () => null,
});

export let fake: FakePlatform;
export let client: SundialClient;

/** Starts the fake platform for the calling test file, with a client pointed at it; forgets requests between tests. */
export function useFakePlatform(): void {
  beforeAll(async () => {
    fake = await new FakePlatform().start();
    client = new SundialClient({ url: fake.url, apiKey: "dev.key" });
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.requests.length = 0;
  });
}

/** Requests to the schedules API, as `METHOD path?query body`. */
export function sent(): string[] {
  return fake.requests.filter((r) => r.path.startsWith(BASE)).map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ""} ${r.rawBody}`);
}
export const last = (): FakeRequest => fake.requests[fake.requests.length - 1]!;
