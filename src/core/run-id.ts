import { toRfc3339 } from "@sundial/sdk/protocol";

/** Why a schedule started a run: its spec, a retry of a failed fire, trigger-now, or a backfill. */
export type RunOrigin = { kind: "scheduled" } | { kind: "retry"; retry: number } | { kind: "trigger"; requestId: string; untimed?: boolean } | { kind: "backfill"; job?: number };

/**
 * Deterministic run id `{schedule_id}:{nominal RFC 3339}` (with a marker for retries, triggers and
 * backfills), so starting a run is idempotent: an alarm delivered twice starts one run. A
 * backfill's marker names its job (`:backfill-3`, the schedule's third backfill request; plain
 * `:backfill` for fires queued before jobs were numbered); a trigger's, its request id (or the
 * epoch ms it was named by), after the trigger's time (its nominal).
 * @example scheduleRunId("nightly", Date.UTC(2026, 10, 22, 9)) // "nightly:2026-11-22T09:00:00.000Z"
 */
export function scheduleRunId(scheduleId: string, nominal: number, origin: RunOrigin = { kind: "scheduled" }): string {
  const base = `${scheduleId}:${toRfc3339(nominal)}`;
  switch (origin.kind) {
    case "scheduled":
      return base;
    case "retry":
      return `${base}:retry-${origin.retry}`;
    case "trigger":
      // The trigger's time too, not only its request id: a request id is remembered for 24 h (and
      // a schedule deleted and created again forgets them all), and a later trigger reusing it must
      // start a run of its own, not find the first one's execution under the same id.
      // (A trigger buffered before the time was in its id, stored without it, keeps the id it was answered with.)
      return origin.untimed ? `${scheduleId}:trigger:${origin.requestId}` : `${base}:trigger:${origin.requestId}`;
    case "backfill":
      // Each backfill request is its own job: backfilling a range again runs its fires again.
      return origin.job === undefined ? `${base}:backfill` : `${base}:backfill-${origin.job}`;
  }
}
