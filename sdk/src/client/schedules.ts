import type { z } from "zod";
import type * as wire from "../protocol/schedule.ts";
import type { WorkflowDefinition } from "../workflow/define-workflow.ts";
import { toSeconds, type Duration } from "../workflow/duration.ts";
import type { Instant, OverlapPolicy, ScheduleDefinition, SchedulePolicy } from "../workflow/schedule.ts";
import type { CallOptions } from "./call-options.ts";
import { camelize, type Camelize } from "./camel.ts";
import { parse } from "./parse-response.ts";
import type { HttpTransport } from "./http.ts";
import { everyItem } from "./pages.ts";
import * as res from "./schedule-responses.ts";
import { CALL_OPTIONS, fromList, optionNames, rejectUnknownOptions } from "./options.ts";
import { DEFINITION_OPTIONS, instantToWire, scheduleDefinitionToWire, schedulePolicyToWire, scheduleSpecToWire, SPEC_OPTIONS, type ScheduleSpecOptions } from "./schedule-wire.ts";

/** A schedule as `get`, `create`, `update`, `pause` and `resume` describe it. */
export type Schedule = Camelize<wire.Schedule>;
/** One row of `list`. */
export type ScheduleSummary = Camelize<wire.ScheduleSummary>;
/** `active`, `paused`, `completed` or `dead`. */
export type ScheduleStatus = wire.ScheduleStatus;
/** A fire time: `nominal` (from the spec) and `actual` (nominal + jitter), RFC 3339. */
export type FireTime = Camelize<wire.FireTime>;

/**
 * Options of {@link SchedulesClient.create}: a {@link ScheduleDefinition} (the same camelCase shape
 * as schedules declared in code, the seeds' shorthands `cron` and `intervalSeconds` included) plus
 * the workflow and what a worker supplies for code schedules (`taskQueue`, `executionTimeout`).
 */
export interface CreateScheduleOptions<I = unknown> extends ScheduleDefinition<I>, CallOptions {
  /** The workflow to run: a definition or its name. */
  workflow: WorkflowDefinition<I, unknown> | string;
  /** (workflow, key) identifies the schedule: creating it again updates it in place (a 409 `schedule_key_taken` if worker code declares it). Default `global`. */
  key?: string;
  /** Default `{workflow}:{key}`; ignored when (workflow, key) exists (the existing id is kept). */
  scheduleId?: string;
  /** Default: the definition's `taskQueue`, else the queue the workflow was registered on (by a worker), else `default`. */
  taskQueue?: string;
  /** Default: the definition's `executionTimeout`, else the workflow's registered one, else 1 hour. */
  executionTimeout?: Duration;
}

/** What `create` returns: the id, whether this call created it (false: it updated it), the schedule. */
export interface CreatedSchedule {
  scheduleId: string;
  created: boolean;
  schedule: Schedule;
}

/** A partial update: only the fields given change; a spec that changes re-plans from now (the spec the schedule already has, sent again, changes no plan). */
export interface ScheduleUpdate<I = unknown> extends Omit<ScheduleSpecOptions, "startAt" | "endAt"> {
  /** A new start bound; null removes it. */
  startAt?: Instant | null;
  /** A new end bound; null removes it. */
  endAt?: Instant | null;
  input?: I;
  taskQueue?: string;
  executionTimeout?: Duration;
  /** Merged field by field with the current policy. */
  policy?: SchedulePolicy;
  note?: string;
}

/** Filters and paging of {@link SchedulesClient.list} and `listAll` (which starts at `pageToken` when given). */
export interface ListSchedulesOptions extends CallOptions {
  key?: string;
  workflow?: string;
  status?: ScheduleStatus;
  source?: "api" | "code";
  /** 1-500, default 50 (the platform's). */
  pageSize?: number;
  pageToken?: string;
}

/** A page of schedules, ordered by id. */
export interface SchedulePage {
  schedules: ScheduleSummary[];
  nextPageToken: string | null;
}

/** Options of {@link SchedulesClient.trigger}. */
export interface TriggerOptions<I = unknown> extends CallOptions {
  /** Input of this run instead of the schedule's (left out: the schedule's own input; `null` is an input). */
  input?: I;
  /** Overlap policy of this run instead of the schedule's. */
  overlap?: OverlapPolicy;
  /** Idempotency key: a trigger sent again with this id (within 24 h, among the last 1,000) gets the first answer and changes nothing; its run is `{id}:{trigger time}:trigger:{requestId}`. */
  requestId?: string;
}

/** What `trigger` did: `started` (with `runId`), `buffered` or `skipped_overlap` (`runId` empty). */
export type TriggerResult = Camelize<res.TriggerResponse>;

/** Options of {@link SchedulesClient.backfill}: the range, both ends included (`startAt` ≤ fire ≤ `endAt`). */
export interface BackfillOptions extends CallOptions {
  startAt: Instant;
  endAt: Instant;
  overlap?: OverlapPolicy;
  /** Idempotency key: a backfill sent again with this id (within 24 h, among the last 1,000) gets the first answer and queues nothing, whatever range it names. Without it every call is a new backfill, whose fires run again. */
  requestId?: string;
}

/**
 * What `backfill` queued: `backfillId`, the schedule's number for this backfill (its runs are
 * `{id}:{nominal}:backfill-{backfillId}`), and the number of fires in the range, started in batches of 100.
 */
export type BackfillResult = Camelize<res.BackfillResponse>;

/** Options of {@link SchedulesClient.preview}. */
export interface PreviewOptions extends CallOptions {
  /** How many fire times (1-1000, default 10). */
  count?: number;
  /** Fire times strictly after this instant (default now). */
  after?: Instant;
  /** Jitter is a hash of the schedule id: give the id to preview a jittered schedule's actual times. */
  scheduleId?: string;
}

/** What `preview` returns: the spec in words, its zone and its next fire times. */
export type SchedulePreview = Camelize<res.PreviewResponse>;

/** The options of {@link SchedulesClient.update}'s third argument. */
type UpdateCallOptions = { version?: number } & CallOptions;
/** The options of {@link SchedulesClient.resume}. */
type ResumeOptions = { catchUp?: boolean } & CallOptions;

/**
 * The options each call takes, derived from its type (see `optionNames`) and checked: a typo
 * (`overlapPolicy`, `requestID`) would be dropped without a word.
 */
const CREATE_OPTIONS = optionNames({
  ...fromList(DEFINITION_OPTIONS), workflow: true, scheduleId: true, taskQueue: true, executionTimeout: true, signal: true,
} satisfies Record<keyof CreateScheduleOptions, true>);
const UPDATE_OPTIONS = optionNames({ ...fromList(SPEC_OPTIONS), input: true, taskQueue: true, executionTimeout: true, policy: true, note: true } satisfies Record<keyof ScheduleUpdate, true>);
const UPDATE_CALL_OPTIONS = optionNames({ version: true, signal: true } satisfies Record<keyof UpdateCallOptions, true>);
const RESUME_OPTIONS = optionNames({ catchUp: true, signal: true } satisfies Record<keyof ResumeOptions, true>);
const TRIGGER_OPTIONS = optionNames({ input: true, overlap: true, requestId: true, signal: true } satisfies Record<keyof TriggerOptions, true>);
const BACKFILL_OPTIONS = optionNames({ startAt: true, endAt: true, overlap: true, requestId: true, signal: true } satisfies Record<keyof BackfillOptions, true>);
const PREVIEW_OPTIONS = optionNames({ count: true, after: true, scheduleId: true, signal: true } satisfies Record<keyof PreviewOptions, true>);
const LIST_OPTIONS = optionNames({ key: true, workflow: true, status: true, source: true, pageSize: true, pageToken: true, signal: true } satisfies Record<keyof ListSchedulesOptions, true>);

const BASE = "/v1/workflows/schedules";
const one = (id: string) => `${BASE}/${encodeURIComponent(id)}`;

/**
 * `client.schedules`: create (upsert by workflow + key), read, list, update, pause, resume,
 * trigger, backfill and delete schedules, and preview a spec's fire times. camelCase in and out;
 * durations as seconds or `"5m"`, instants as `Date` or RFC 3339 strings.
 * @example
 * // One schedule per user, in the user's time zone (same workflow + key = update in place).
 * const { scheduleId, created } = await client.schedules.create({ workflow: "user-reminder", cron: "0 8 * * *", timezone: "America/Los_Angeles", key: "user_123" });
 */
export class SchedulesClient {
  private readonly http: HttpTransport;

  constructor(http: HttpTransport) {
    this.http = http;
  }

  /**
   * Creates a schedule, or updates the one with the same (workflow, key) in place (`created:
   * false`, same id). The input is validated against the workflow's registered schema (422).
   * @example
   * await client.schedules.create({
   *   workflow: "report_workflow",
   *   input: { report_type: "daily" },
   *   cronExpressions: ["0 0 * * *"],
   *   policy: { catchupWindow: "1d", overlap: "SKIP" },
   * });
   */
  async create<I = unknown>(options: CreateScheduleOptions<I>): Promise<CreatedSchedule> {
    rejectUnknownOptions(options, CREATE_OPTIONS, "");
    const { workflow } = options;
    const def = typeof workflow === "string" ? undefined : workflow;
    const taskQueue = options.taskQueue ?? def?.taskQueue;
    const timeout = options.executionTimeout ?? def?.executionTimeout;
    const body: wire.CreateScheduleRequest = {
      workflow: typeof workflow === "string" ? workflow : workflow.name,
      ...scheduleDefinitionToWire(options, ""),
      ...(options.scheduleId === undefined ? {} : { schedule_id: options.scheduleId }),
      ...(taskQueue === undefined ? {} : { task_queue: taskQueue }),
      ...(timeout === undefined ? {} : { execution_timeout: toSeconds(timeout, "executionTimeout") }),
    };
    const answer = await this.http.request("POST", BASE, { body, signal: options.signal });
    const schedule = camelize(parse(res.ScheduleResponse, answer));
    return { scheduleId: schedule.scheduleId, created: answer.status === 201, schedule };
  }

  /** Describes one schedule. @example const { nextFireTimes, counters } = await client.schedules.get("user-reminder:user_123"); */
  async get(scheduleId: string, options: CallOptions = {}): Promise<Schedule> {
    rejectUnknownOptions(options, CALL_OPTIONS, "");
    const answer = await this.http.request("GET", one(scheduleId), { signal: options.signal });
    return camelize(parse(res.ScheduleResponse, answer));
  }

  /**
   * One page of schedules, ordered by id (see {@link SchedulesClient.listAll} for every page).
   * @example const { schedules, nextPageToken } = await client.schedules.list({ key: "user_123" });
   */
  async list(options: ListSchedulesOptions = {}): Promise<SchedulePage> {
    rejectUnknownOptions(options, LIST_OPTIONS, "");
    const query = { key: options.key, workflow: options.workflow, status: options.status, source: options.source, page_size: options.pageSize, page_token: options.pageToken };
    const answer = await this.http.request("GET", BASE, { query, signal: options.signal });
    return camelize(parse(res.ListSchedulesResponse, answer));
  }

  /**
   * Every schedule matching the filters, fetching pages (of `pageSize`) as the loop goes, from
   * `pageToken` when given (a token `list` answered). An aborted `signal` ends the loop with its reason.
   * @example for await (const s of client.schedules.listAll({ workflow: "user-reminder" })) console.log(s.key, s.nextFireAt);
   */
  listAll(options: ListSchedulesOptions = {}): AsyncGenerator<ScheduleSummary, void, undefined> {
    return everyItem(options.pageToken, async (pageToken) => {
      const page = await this.list({ ...options, ...(pageToken === undefined ? {} : { pageToken }) });
      return { items: page.schedules, nextPageToken: page.nextPageToken };
    }, options.signal);
  }

  /**
   * Changes some fields. With `version`, the update applies only if the schedule is still at that
   * version (else a `SundialApiError` with code `version_conflict`, 409). An update that changes
   * nothing writes nothing: the schedule comes back at the same version.
   * @example
   * const s = await client.schedules.get(id);
   * await client.schedules.update(id, { cron: "0 15 * * *", policy: { retryMax: 5 } }, { version: s.version });
   */
  async update<I = unknown>(scheduleId: string, patch: ScheduleUpdate<I>, options: UpdateCallOptions = {}): Promise<Schedule> {
    rejectUnknownOptions(patch, UPDATE_OPTIONS, "");
    rejectUnknownOptions(options, UPDATE_CALL_OPTIONS, "");
    const { startAt, endAt, ...rest } = patch;
    const body: wire.UpdateScheduleRequest = {
      ...scheduleSpecToWire({ ...rest, ...(startAt != null ? { startAt } : {}), ...(endAt != null ? { endAt } : {}) }, ""),
      ...(startAt === null ? { start_at: null } : {}),
      ...(endAt === null ? { end_at: null } : {}),
      ...(patch.input === undefined ? {} : { input: patch.input }),
      ...(patch.taskQueue === undefined ? {} : { task_queue: patch.taskQueue }),
      ...(patch.executionTimeout === undefined ? {} : { execution_timeout: toSeconds(patch.executionTimeout, "executionTimeout") }),
      ...(patch.policy === undefined ? {} : { policy: schedulePolicyToWire(patch.policy, "policy") }),
      ...(patch.note === undefined ? {} : { note: patch.note }),
      ...(options.version === undefined ? {} : { version: options.version }),
    };
    const answer = await this.http.request("PATCH", one(scheduleId), { body, signal: options.signal });
    return camelize(parse(res.ScheduleResponse, answer));
  }

  /** Deletes a schedule; runs it started keep running. @example await client.schedules.delete("user-reminder:user_123"); */
  async delete(scheduleId: string, options: CallOptions = {}): Promise<void> {
    rejectUnknownOptions(options, CALL_OPTIONS, "");
    await this.http.request("DELETE", one(scheduleId), { signal: options.signal });
  }

  /** Pauses a schedule, with a note saying why. @example await client.schedules.pause(id, "maintenance until 14:00"); */
  async pause(scheduleId: string, note?: string, options: CallOptions = {}): Promise<Schedule> {
    rejectUnknownOptions(options, CALL_OPTIONS, "");
    const answer = await this.http.request("POST", `${one(scheduleId)}/pause`, { body: note === undefined ? {} : { note }, signal: options.signal });
    return camelize(parse(res.ScheduleResponse, answer));
  }

  /**
   * Resumes a paused schedule, planning from now: fires that came due while it was paused are not
   * run, unless `catchUp`, with which those within the catch-up window run.
   * @example await client.schedules.resume(id, "maintenance over");
   * @example await client.schedules.resume(id, "back", { catchUp: true }); // also run what was missed
   */
  async resume(scheduleId: string, note?: string, options: ResumeOptions = {}): Promise<Schedule> {
    rejectUnknownOptions(options, RESUME_OPTIONS, "");
    const body = { ...(note === undefined ? {} : { note }), ...(options.catchUp === undefined ? {} : { catch_up: options.catchUp }) };
    const answer = await this.http.request("POST", `${one(scheduleId)}/resume`, { body, signal: options.signal });
    return camelize(parse(res.ScheduleResponse, answer));
  }

  /**
   * Runs the schedule now (also while paused), through its overlap policy unless `overlap` is given.
   * @example const { started, runId } = await client.schedules.trigger(id, { requestId: "support-ticket-42" });
   */
  async trigger<I = unknown>(scheduleId: string, options: TriggerOptions<I> = {}): Promise<TriggerResult> {
    rejectUnknownOptions(options, TRIGGER_OPTIONS, "");
    const body: z.input<typeof wire.TriggerRequest> = {
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.overlap === undefined ? {} : { overlap: options.overlap }),
      ...(options.requestId === undefined ? {} : { request_id: options.requestId }),
    };
    const answer = await this.http.request("POST", `${one(scheduleId)}/trigger`, { body, signal: options.signal });
    return camelize(parse(res.TriggerResponse, answer));
  }

  /**
   * Starts every fire of a past range (from `startAt` up to `endAt`, both included), in batches.
   * A range with no fire time is a 409 `empty_backfill`; one longer than 10 years (calendar years,
   * UTC) or with more than 100,000 fires is a 422 `limit_exceeded` naming `end_at` (nothing is
   * queued: split the range). Each backfill runs its
   * fires anew, also those an earlier backfill or the schedule itself already ran; send a
   * `requestId` to make retrying the call safe.
   * @example await client.schedules.backfill(id, { startAt: "2026-11-01T00:00:00Z", endAt: new Date(), overlap: "ALLOW_ALL" });
   */
  async backfill(scheduleId: string, options: BackfillOptions): Promise<BackfillResult> {
    rejectUnknownOptions(options, BACKFILL_OPTIONS, "");
    const body: z.input<typeof wire.BackfillRequest> = {
      start_at: instantToWire(options.startAt, "startAt"),
      end_at: instantToWire(options.endAt, "endAt"),
      ...(options.overlap === undefined ? {} : { overlap: options.overlap }),
      ...(options.requestId === undefined ? {} : { request_id: options.requestId }),
    };
    const answer = await this.http.request("POST", `${one(scheduleId)}/backfill`, { body, signal: options.signal });
    return camelize(parse(res.BackfillResponse, answer));
  }

  /**
   * The next fire times of a spec (DST-aware), creating nothing.
   * @example
   * const { fireTimes } = await client.schedules.preview({ cron: "30 2 * * *", timezone: "America/New_York" }, { after: "2027-03-12T00:00:00Z", count: 3 });
   * // nominal: 2027-03-12T07:30Z, 2027-03-13T07:30Z, 2027-03-14T07:30Z (03:30 EDT: 02:30 does not exist that day)
   */
  async preview(spec: ScheduleSpecOptions, options: PreviewOptions = {}): Promise<SchedulePreview> {
    rejectUnknownOptions(spec, SPEC_OPTIONS, "");
    rejectUnknownOptions(options, PREVIEW_OPTIONS, "");
    const body: z.input<typeof wire.PreviewRequest> = {
      ...scheduleSpecToWire(spec, ""),
      ...(options.count === undefined ? {} : { count: options.count }),
      ...(options.after === undefined ? {} : { after: instantToWire(options.after, "after") }),
      ...(options.scheduleId === undefined ? {} : { schedule_id: options.scheduleId }),
    };
    const answer = await this.http.request("POST", `${BASE}/preview`, { body, signal: options.signal });
    return camelize(parse(res.PreviewResponse, answer));
  }
}

/**
 * Polos' module-level form of {@link SchedulesClient.create}, for code ported from
 * `schedules.create(client, workflow=…, cron=…, timezone=…, key=…)`.
 * @example
 * import { schedules, SundialClient } from "@sundial/sdk/client";
 * const { scheduleId } = await schedules.create(client, { workflow: "user-reminder", cron: "0 8 * * *", timezone: "America/Los_Angeles", key: "user_123" });
 */
export const schedules = {
  create<I = unknown>(client: { readonly schedules: SchedulesClient }, options: CreateScheduleOptions<I>): Promise<CreatedSchedule> {
    return client.schedules.create(options);
  },
};
