import { z } from "zod";
import * as wire from "../protocol/schedule.ts";

/**
 * zod schemas of the schedule endpoints' answers, so the client validates every answer as it does
 * for executions. The protocol declares these answers as TypeScript interfaces (the server builds
 * them, it never parses them); the `Same<…>` checks below make a schema that drifts from its
 * interface a compile error, so the two cannot disagree silently.
 */

/** The policy as stored and returned. */
export const SchedulePolicyResponse = z.object({
  catchup_window_seconds: z.number(),
  overlap: wire.OverlapPolicy,
  retry_max: z.number(),
  retry_delay_seconds: z.number().nullable(),
  on_failure: wire.OnFailure,
});

/** GET /v1/workflows/schedules/{id} (also the answer of create, update, pause and resume). */
export const ScheduleResponse = z.object({
  schedule_id: z.string(),
  workflow: z.string(),
  key: z.string(),
  source: z.enum(["api", "code"]),
  status: wire.ScheduleStatus,
  note: z.string(),
  version: z.number(),
  spec: z.object({
    cron_expressions: z.array(z.string()),
    intervals: z.array(z.object({ every: z.number(), offset: z.number() })),
    at: z.array(z.string()),
    start_at: z.string().nullable(),
    end_at: z.string().nullable(),
    repeat_count: z.number(),
    exclude: z.array(z.string()),
    jitter_seconds: z.number(),
    timezone: z.string(),
  }),
  description: z.string(),
  policy: SchedulePolicyResponse,
  input: z.unknown(),
  task_queue: z.string(),
  execution_timeout: z.number().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  next_fire_times: z.array(wire.FireTime),
  next_run_at: z.string().nullable(),
  last_fire_at: z.string().nullable(),
  recent_actions: z.array(wire.ScheduleAction),
  running: z.array(z.string()),
  buffered: z.number(),
  backfills: z.array(z.object({ backfill_id: z.number(), next_fire: z.string().nullable(), end_at: z.string(), overlap: wire.OverlapPolicy.nullable() })),
  counters: z.object({ fired: z.number(), skipped_overlap: z.number(), skipped_catchup: z.number(), failed: z.number() }),
  current_repeat: z.number(),
  current_retry: z.number(),
});

/** One row of GET /v1/workflows/schedules. */
export const ScheduleSummaryResponse = z.object({
  schedule_id: z.string(),
  workflow: z.string(),
  key: z.string(),
  status: wire.ScheduleStatus,
  source: z.enum(["api", "code"]),
  next_fire_at: z.string().nullable(),
  next_run_at: z.string().nullable(),
  last_fire_at: z.string().nullable(),
  current_repeat: z.number(),
  current_retry: z.number(),
  created_at: z.string(),
});

/** GET /v1/workflows/schedules. */
export const ListSchedulesResponse = z.object({ schedules: z.array(ScheduleSummaryResponse), next_page_token: z.string().nullable() });

/** POST …/{id}/trigger (202). `run_id`: the run started, or for `buffered` the id it will start under when the slot frees (unless a newer CANCEL_OTHER or TERMINATE_OTHER fire takes its place first, or the schedule goes dead; BUFFER_ONE skips a newer fire instead); empty when skipped. */
export const TriggerResponse = z.object({ run_id: z.string(), started: z.boolean(), outcome: z.enum(["started", "buffered", "skipped_overlap"]) });
export type TriggerResponse = z.output<typeof TriggerResponse>;

/** POST …/{id}/backfill (202): how many fires the range holds (started in batches by the platform). */
export const BackfillResponse = z.object({ backfill_id: z.number(), fires: z.number() });
export type BackfillResponse = z.output<typeof BackfillResponse>;

/** POST /v1/workflows/schedules/preview. */
export const PreviewResponse = z.object({ description: z.string(), timezone: z.string(), fire_times: z.array(wire.FireTime) });
export type PreviewResponse = z.output<typeof PreviewResponse>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [Same<z.output<typeof ScheduleResponse>, wire.Schedule>, Same<z.output<typeof ScheduleSummaryResponse>, wire.ScheduleSummary>, Same<z.output<typeof SchedulePolicyResponse>, wire.SchedulePolicy>] = [true, true, true];
void agree;
