import type { PendingFire, Transition } from "../core/schedule/machine.ts";
import { firesActedOn, isLastRun, repeatRuns, runsLeft } from "../core/schedule/repeat-runs.ts";
import { nextRunAt } from "../core/schedule/retry-queue.ts";
import { actualStart, schedulePayload } from "../core/schedule/payload.ts";
import { settlePrepared, type PreparedRun } from "../core/schedule/prepare.ts";
import type { CompiledSpec } from "../core/spec.ts";
import type { IndexEntry, StartEntry, WithdrawEntry } from "./schedule-delivery.ts";
import { pendingFires, startDeadline } from "../core/catchup.ts";
import { withDelayed } from "../core/schedule/respec-delayed.ts";
import { backfillSpec } from "../core/schedule/backfill-fires.ts";
import type { ScheduleRow, ScheduleStore } from "./schedule-store.ts";

/** What a ScheduleObject last queued for its D1 index row (in memory: after a restart it writes once more). */
export interface IndexMemo {
  last: string | null;
}

/**
 * Persists a core transition in one synchronous write: starts, cancels and terminates go into the
 * outbox (delivered after the commit), outcomes become actions, the state is stored, and the index
 * row is queued when something it shows changed. Returns the prepared run the transition gave up,
 * which the caller withdraws (see {@link queueWithdraw}).
 */
export function persistTransition(store: ScheduleStore, spec: CompiledSpec, row: ScheduleRow, t: Transition, now: number, index: IndexMemo): PreparedRun | null {
  for (const s of t.start) {
    const f = s.fire;
    // A backfilled fire's upcoming is the spec's next fire after it, also before the creation time (which bounds only the live plan).
    const own = f.kind === "backfill" ? backfillSpec(spec, f.nominal) : spec;
    // A fire delayed over a spec change is its old spec's: in that spec's zone (respec-delayed.ts).
    const payload = schedulePayload(own, { ...row, timezone: f.timezone ?? row.spec.timezone }, f, s.last, now, isLastRun(spec, t.state, f));
    // A prepared run already exists with this very payload: its fire has come, nothing to send.
    if (s.runId === row.state.prepared?.runId) continue;
    store.outbox.put(`start:${s.runId}`, { runId: s.runId, payload, input: f.input !== undefined ? f.input : row.input } satisfies StartEntry, now);
  }
  for (const id of t.cancel) store.outbox.put(`cancel:${id}`, { runId: id }, now);
  for (const id of t.terminate) store.outbox.put(`terminate:${id}`, { runId: id }, now);
  for (const o of t.outcomes) {
    // A count of fires the plan skipped; a skipped retry (its own fire) is recorded as any fire's outcome below.
    if (o.kind === "skipped_catchup" && !o.fire) {
      store.addAction({ at: now, nominal: null, actual: null, run_id: null, kind: "scheduled", outcome: `skipped ${o.count}${o.atLeast ? "+" : ""} fires older than the catch-up window` });
    } else {
      // The actual time its payload has, or would have had (decided now).
      store.addAction({ at: now, nominal: o.fire?.nominal ?? null, actual: o.fire ? actualStart(o.fire, now) : null, run_id: o.runId ?? null, kind: o.fire?.kind ?? "scheduled", outcome: o.kind });
    }
  }
  // Backfilled fires that waited and are dropped now never run: their backfill's next batch follows what they followed.
  store.relinkBackfills(t.outcomes.flatMap((o) => (o.kind === "skipped_overlap" && o.fire?.backfillId !== undefined ? [o.fire] : [])));
  const settled = settlePrepared(t.state, t.start.map((x) => x.runId));
  const withdraw = settled.withdraw !== null && row.state.prepared ? row.state.prepared : null;
  if (withdraw) queueWithdraw(store, row, withdraw, now);
  const updated: ScheduleRow = { ...row, state: settled.state };
  store.put(updated);
  queueIndex(store, spec, updated, now, index);
  return withdraw;
}

/**
 * Queues the schedule's D1 index row as `row` (the stored row) shows it, unless that is what was
 * queued last. Every write of the state that changes what the list shows goes through here: a
 * transition, and a prepared run adopted by its withdraw's answer (ScheduleDelivery).
 */
export function queueIndex(store: ScheduleStore, spec: CompiledSpec, row: ScheduleRow, now: number, index: IndexMemo): void {
  const s = row.state;
  // Describe's first next fire, from the same code: the fire the planner acts on next (a paused
  // schedule lists none, as it fires none).
  const upcoming =
    s.status === "active"
      ? (withDelayed(pendingFires({ spec, scheduleId: row.schedule_id, status: "active", lastProcessed: s.lastProcessed, now, windowSeconds: row.policy.catchup_window_seconds, runsLeft: firesActedOn(spec, s, row.policy.overlap) }, 1), s, now, 1, row.policy.catchup_window_seconds)[0] ?? null)
      : null;
  const repeats = repeatRuns(spec, s);
  // Most transitions (a run closing, say) change nothing the index shows: skip that D1 write.
  const runAt = nextRunAt(s, upcoming?.actual, now, row.policy.catchup_window_seconds);
  const indexed = JSON.stringify([s.status, upcoming?.nominal, runAt, s.lastNominal, repeats, s.currentRetry, row.workflow, row.key, row.source]);
  if (indexed === index.last) return;
  index.last = indexed;
  store.outbox.put("index", {
    namespace: row.namespace,
    schedule_id: row.schedule_id,
    workflow: row.workflow,
    key: row.key,
    status: s.status,
    source: row.source,
    next_fire_at: upcoming?.nominal ?? null,
    last_fire_at: s.lastNominal,
    next_run_at: runAt,
    current_repeat: repeats,
    current_retry: s.currentRetry,
    created_at: row.created_at,
    updated_at: now,
  } satisfies IndexEntry, now);
}

/** Queues the start of `run`, the next fire's run created ahead of its time (core/schedule/prepare.ts), and records it as prepared. */
export function queuePrepared(store: ScheduleStore, spec: CompiledSpec, row: ScheduleRow, run: PreparedRun, now: number): void {
  const fire: PendingFire = { nominal: run.nominal, actual: run.actual, kind: "scheduled" };
  // The fire is prepared with nothing buffered: it is the last run when it uses the last one repeat_count allows.
  const payload = schedulePayload(spec, { ...row, timezone: row.spec.timezone }, fire, row.state.lastNominal, now, runsLeft(spec, row.state) === 1);
  const startBy = startDeadline(run.actual, row.policy.catchup_window_seconds);
  store.outbox.put(`start:${run.runId}`, { runId: run.runId, payload, input: row.input, startAt: run.actual, startBy } satisfies StartEntry, now);
  store.put({ ...row, state: { ...row.state, prepared: run } });
}

/** Queues the withdraw of a prepared run; it goes out after any start still queued for it. */
export function queueWithdraw(store: ScheduleStore, row: ScheduleRow, p: PreparedRun, now: number): void {
  store.outbox.put(`withdraw:${p.runId}`, { namespace: row.namespace, prepared: p, origin: row.spec_origin, timezone: row.spec.timezone, incarnation: row.created_at } satisfies WithdrawEntry, now);
}
