import type { OverlapPolicy } from "../protocol/schedule.ts";
import { toSeconds, type Duration } from "../workflow/duration.ts";
import type { Instant, ScheduleDefinition, SchedulePolicy, ScheduleSpecShorthands } from "../workflow/schedule.ts";
import { fromList, optionNames, optionPath, rejectUnknownOptions } from "./options.ts";

/**
 * The one camelCase → snake_case mapping of schedules, shared by the client (`client.schedules`)
 * and the worker (schedules declared in code with `defineWorkflow({ schedules })`). Durations
 * become seconds and instants RFC 3339 strings here; everything else is checked by the platform
 * with the protocol's schemas. Absent options are left out, so the platform's defaults apply.
 */

export type { ScheduleSpecShorthands };

/** When a schedule fires: {@link ScheduleDefinition}'s spec fields plus the seeds' shorthands. */
export type ScheduleSpecOptions = Pick<ScheduleDefinition, "cronExpressions" | "cron" | "intervals" | "intervalSeconds" | "at" | "startAt" | "endAt" | "repeatCount" | "exclude" | "jitter" | "jitterSeconds" | "timezone">;

/** A spec on the wire (the protocol's `ScheduleSpecFields`, durations in seconds). */
export type WireScheduleSpec = {
  cron_expressions?: string[];
  cron?: string;
  intervals?: { every: number; offset: number }[];
  interval_seconds?: number;
  at?: string[];
  start_at?: string;
  end_at?: string;
  repeat_count?: number;
  exclude?: string[];
  jitter_seconds?: number;
  timezone?: string;
};

/** A policy on the wire (the protocol's `SchedulePolicyInput`). */
export type WireSchedulePolicy = {
  catchup_window_seconds?: number;
  overlap?: OverlapPolicy;
  retry_max?: number;
  retry_delay_seconds?: number | null;
  on_failure?: "continue" | "pause" | "dead";
};

/** A schedule definition on the wire: spec, key, input, policy, note and paused. */
export type WireScheduleDefinition = WireScheduleSpec & { key?: string; input?: unknown; policy?: WireSchedulePolicy; note?: string; paused?: boolean };

/**
 * The options of a spec (with the shorthands), of a policy, and of a whole schedule definition,
 * derived from their types (a type that gains an option without it here does not compile).
 */
export const SPEC_OPTIONS = optionNames({
  cronExpressions: true, cron: true, intervals: true, intervalSeconds: true, at: true, startAt: true, endAt: true, repeatCount: true, exclude: true, jitter: true, jitterSeconds: true, timezone: true,
} satisfies Record<keyof ScheduleSpecOptions, true>);
export const POLICY_OPTIONS = optionNames({
  catchupWindow: true, catchupWindowSeconds: true, overlap: true, retryMax: true, retryDelay: true, retryDelaySeconds: true, onFailure: true,
} satisfies Record<keyof SchedulePolicy, true>);
/** The fields of one of a spec's `intervals`. */
export const INTERVAL_OPTIONS = optionNames({ every: true, offset: true } satisfies Record<keyof NonNullable<ScheduleDefinition["intervals"]>[number], true>);
export const DEFINITION_OPTIONS = optionNames({
  ...fromList(SPEC_OPTIONS), key: true, note: true, input: true, policy: true, paused: true,
} satisfies Record<keyof ScheduleDefinition, true>);

/** The one of two names for an option that is set (a TypeError when both are). */
function oneOf<T extends object, K extends keyof T & string>(options: T, name: K, alias: K, where: string): { name: K; value: Exclude<T[K], undefined> } | undefined {
  const [a, b] = [options[name], options[alias]];
  if (a !== undefined && b !== undefined) throw new TypeError(`${optionPath(where, alias)}: give ${name} or ${alias}, not both (the same setting)`);
  if (a !== undefined) return { name, value: a as Exclude<T[K], undefined> };
  if (b !== undefined) return { name: alias, value: b as Exclude<T[K], undefined> };
  return undefined;
}

/**
 * An instant for the wire: a `Date` becomes RFC 3339 UTC with milliseconds; a string is sent as
 * written (the platform checks it is RFC 3339 with an offset).
 * @example instantToWire(new Date(Date.UTC(2027, 0, 1)), "startAt") // "2027-01-01T00:00:00.000Z"
 */
export function instantToWire(value: Instant, where: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError(`${where}: invalid Date`);
    return value.toISOString();
  }
  if (typeof value !== "string") throw new TypeError(`${where}: expected a Date or an RFC 3339 string, got ${typeof value}`);
  return value;
}

/**
 * A spec in the wire's shape. `where` prefixes the field named in a `TypeError` (bad duration or
 * Date), e.g. `workflow "report" schedules.0`; `""` names the bare field.
 * @example scheduleSpecToWire({ cron: "0 8 * * *", timezone: "America/Los_Angeles", jitter: "30s" }, "")
 * // { cron: "0 8 * * *", timezone: "America/Los_Angeles", jitter_seconds: 30 }
 */
export function scheduleSpecToWire(spec: ScheduleSpecOptions, where: string): WireScheduleSpec {
  const out: WireScheduleSpec = {};
  if (spec.cronExpressions !== undefined) out.cron_expressions = [...spec.cronExpressions];
  if (spec.cron !== undefined) out.cron = spec.cron;
  if (spec.intervals !== undefined) {
    out.intervals = spec.intervals.map((iv, i) => {
      // Checked as the spec's own options are: a misspelt `offset` would fire on the hour, unshifted.
      rejectUnknownOptions(iv, INTERVAL_OPTIONS, optionPath(where, `intervals.${i}`));
      return { every: toSeconds(iv.every, optionPath(where, `intervals.${i}.every`)), offset: toSeconds(iv.offset ?? 0, optionPath(where, `intervals.${i}.offset`)) };
    });
  }
  if (spec.intervalSeconds !== undefined) out.interval_seconds = toSeconds(spec.intervalSeconds, optionPath(where, "intervalSeconds"));
  if (spec.at !== undefined) out.at = (Array.isArray(spec.at) ? spec.at : [spec.at]).map((t, i) => instantToWire(t, optionPath(where, `at.${i}`)));
  if (spec.startAt !== undefined) out.start_at = instantToWire(spec.startAt, optionPath(where, "startAt"));
  if (spec.endAt !== undefined) out.end_at = instantToWire(spec.endAt, optionPath(where, "endAt"));
  if (spec.repeatCount !== undefined) out.repeat_count = spec.repeatCount;
  if (spec.exclude !== undefined) out.exclude = [...spec.exclude];
  const jitter = oneOf(spec, "jitter", "jitterSeconds", where);
  if (jitter !== undefined) out.jitter_seconds = toSeconds(jitter.value, optionPath(where, jitter.name));
  if (spec.timezone !== undefined) out.timezone = spec.timezone;
  return out;
}

/**
 * A policy in the wire's shape.
 * @example schedulePolicyToWire({ catchupWindow: "7d", overlap: "SKIP", retryDelay: "2m" }, "policy")
 * // { catchup_window_seconds: 604800, overlap: "SKIP", retry_delay_seconds: 120 }
 */
export function schedulePolicyToWire(policy: SchedulePolicy, where: string): WireSchedulePolicy {
  rejectUnknownOptions(policy, POLICY_OPTIONS, where);
  const out: WireSchedulePolicy = {};
  const catchup = oneOf(policy, "catchupWindow", "catchupWindowSeconds", where);
  if (catchup !== undefined) out.catchup_window_seconds = toSeconds(catchup.value, optionPath(where, catchup.name));
  if (policy.overlap !== undefined) out.overlap = policy.overlap;
  if (policy.retryMax !== undefined) out.retry_max = policy.retryMax;
  const delay = oneOf(policy, "retryDelay", "retryDelaySeconds", where);
  if (delay !== undefined) out.retry_delay_seconds = delay.value === null ? null : toSeconds(delay.value, optionPath(where, delay.name));
  if (policy.onFailure !== undefined) out.on_failure = policy.onFailure;
  return out;
}

/**
 * A whole {@link ScheduleDefinition} (plus shorthands) in the wire's shape: `{ key, cron_expressions,
 * cron, intervals, interval_seconds, at, start_at, end_at, repeat_count, exclude, jitter_seconds,
 * timezone, input, policy: { catchup_window_seconds, overlap, retry_max, retry_delay_seconds,
 * on_failure }, note, paused }`.
 * @example scheduleDefinitionToWire({ cronExpressions: ["0 0 * * *"], policy: { catchupWindow: "1d", overlap: "SKIP" } }, "")
 * // { cron_expressions: ["0 0 * * *"], policy: { catchup_window_seconds: 86400, overlap: "SKIP" } }
 */
export function scheduleDefinitionToWire(schedule: ScheduleDefinition, where: string): WireScheduleDefinition {
  const out: WireScheduleDefinition = {};
  if (schedule.key !== undefined) out.key = schedule.key;
  Object.assign(out, scheduleSpecToWire(schedule, where));
  if (schedule.input !== undefined) out.input = schedule.input;
  if (schedule.policy !== undefined) out.policy = schedulePolicyToWire(schedule.policy, optionPath(where, "policy"));
  if (schedule.note !== undefined) out.note = schedule.note;
  if (schedule.paused !== undefined) out.paused = schedule.paused;
  return out;
}
