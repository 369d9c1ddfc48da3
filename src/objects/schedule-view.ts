import { toRfc3339, type BackfillProgress, type Schedule, type ScheduleAction } from "@sundial/sdk/protocol";
import { describeSpec } from "../core/describe-spec.ts";
import { clampCatchupWindow, pendingFires } from "../core/catchup.ts";
import { LIMITS } from "../core/limits.ts";
import { withDelayed } from "../core/schedule/respec-delayed.ts";
import { firesActedOn, repeatRuns } from "../core/schedule/repeat-runs.ts";
import { nextRunAt } from "../core/schedule/retry-queue.ts";
import type { CompiledSpec } from "../core/spec.ts";
import type { ActionRow, ScheduleRow } from "./schedule-store.ts";

const iso = (ms: number | null) => (ms === null ? null : toRfc3339(ms));

/** Renders a schedule for the API: canonical spec, description, next fire times, recent actions, counters. */
export function scheduleView(row: ScheduleRow, spec: CompiledSpec, actions: ActionRow[], backfills: readonly BackfillProgress[], now: number): Schedule {
  // The fires the planner will act on (the D1 index's next_fire_at is the first of them).
  const nextFires = withDelayed(
    pendingFires(
      { spec, scheduleId: row.schedule_id, status: row.state.status, lastProcessed: row.state.lastProcessed, now, windowSeconds: row.policy.catchup_window_seconds, runsLeft: firesActedOn(spec, row.state, row.policy.overlap) },
      LIMITS.upcomingDefault,
    ),
    row.state,
    now,
    LIMITS.upcomingDefault,
    row.policy.catchup_window_seconds,
  );
  return {
    schedule_id: row.schedule_id,
    workflow: row.workflow,
    key: row.key,
    source: row.source,
    status: row.state.status,
    note: row.state.note,
    version: row.version,
    spec: { ...row.spec, at: row.spec.at.map((t) => toRfc3339(t)), start_at: iso(row.spec.start_at), end_at: iso(row.spec.end_at) },
    description: describeSpec(row.spec),
    // The window the schedule keeps (a value sent outside [10 s, 366 d] is stored as sent, and
    // every reader clamps it): describe shows what it does, not what was asked.
    policy: { ...row.policy, catchup_window_seconds: clampCatchupWindow(row.policy.catchup_window_seconds) },
    input: row.input,
    task_queue: row.task_queue,
    execution_timeout: row.execution_timeout,
    created_at: toRfc3339(row.created_at),
    updated_at: toRfc3339(row.updated_at),
    next_fire_times: nextFires.map((f) => ({ nominal: toRfc3339(f.nominal), actual: toRfc3339(f.actual) })),
    // Pipelit's next run time, as the list shows it: the next fire or a failed fire's retry, whichever
    // comes first; none while the schedule fires nothing (paused, completed, dead), though
    // next_fire_times previews what a resume would plan.
    next_run_at: iso(nextRunAt(row.state, nextFires[0]?.actual, now, row.policy.catchup_window_seconds)),
    last_fire_at: iso(row.state.lastNominal),
    recent_actions: actions.map(
      (a): ScheduleAction => ({ at: toRfc3339(a.at), nominal: iso(a.nominal), actual: iso(a.actual), run_id: a.run_id, kind: a.kind as ScheduleAction["kind"], outcome: a.outcome }),
    ),
    running: row.state.running.map((r) => r.runId),
    buffered: row.state.buffer.length,
    backfills: [...backfills],
    counters: row.state.counters,
    current_repeat: repeatRuns(spec, row.state),
    current_retry: row.state.currentRetry,
  };
}
