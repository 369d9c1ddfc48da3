import type { OverlapPolicy } from "@sundial/sdk/protocol";
import { backfillSpec, checkBackfillFires, checkBackfillRange, checkPendingBackfills } from "../core/schedule/backfill-fires.ts";
import { runIdFor, startExtra, type PendingFire } from "../core/schedule/machine.ts";
import type { BackfillHost } from "./schedule-backfill.ts";
import { withdrawPrepared, type PreparedHost } from "./schedule-prepared.ts";
import { checkBufferedInputs } from "./schedule-rows.ts";
import type { BackfillOutcome, ScheduleRow, TriggerOutcome } from "./schedule-store.ts";

/** What trigger and backfill requests need of their ScheduleObject. */
export interface ExtraRunsHost extends BackfillHost, PreparedHost {
  /** The schedule's row; throws a NotFoundError when there is none. */
  require(): ScheduleRow;
}

/**
 * Runs a ScheduleObject starts on request, outside its plan: a trigger (one run now) and a
 * backfill (a range, queued as a job the alarm starts in batches: schedule-backfill.ts). Both go
 * through the overlap machinery as extra fires (core `startExtra`), and a retry with the same
 * request id gets the first call's answer and changes nothing.
 */
export class ExtraRuns {
  private readonly host: ExtraRunsHost;
  /** The last epoch ms a trigger without a request_id was named by (see trigger()). */
  private lastTriggerStamp = 0;

  constructor(host: ExtraRunsHost) {
    this.host = host;
  }

  /** A trigger's write (ScheduleObject.trigger): the run now, through the overlap policy (the schedule's, unless overridden). */
  trigger(input: unknown, overlap: OverlapPolicy | undefined, requestId: string | undefined, now: number): TriggerOutcome {
    const { store } = this.host;
    this.host.require();
    const seen = requestId === undefined ? null : store.triggerOutcome(requestId, now);
    if (seen) return seen;
    const row = withdrawPrepared(this.host, now)!;
    // Without a request_id the run id carries the epoch ms, made unique: two triggers in one millisecond are two runs.
    const stamp = (this.lastTriggerStamp = Math.max(now, this.lastTriggerStamp + 1));
    const fire: PendingFire = { nominal: now, actual: now, kind: "trigger", requestId: requestId ?? String(stamp), timed: true, ...(input !== undefined ? { input } : {}), ...(overlap ? { overlap } : {}) };
    const t = startExtra(this.host.ctxFor(row, now), row.state, [fire]);
    checkBufferedInputs(t.state.buffer);
    this.host.apply(row, { ...t, nextAlarm: null }, now);
    const started = t.start.find((s) => s.fire === fire);
    const outcome = started ? "started" : t.state.buffer.includes(fire) ? "buffered" : "skipped_overlap";
    // A buffered trigger names the run it will start as (a newer fire may still replace it); a skipped one none.
    const answer = { run_id: started?.runId ?? (outcome === "buffered" ? runIdFor(row.schedule_id, fire) : ""), started: started !== undefined, outcome };
    if (requestId !== undefined) store.recordTrigger(requestId, now, answer);
    return answer;
  }

  /** A backfill's write (ScheduleObject.backfill): the job of [start, end], its cursor 1 ms before start, and its action. */
  backfill(startAt: number, endAt: number, overlap: OverlapPolicy | undefined, requestId: string | undefined, now: number): BackfillOutcome {
    const { store } = this.host;
    const row = this.host.require();
    const seen = requestId === undefined ? null : store.backfillOutcome(requestId, now);
    if (seen) return seen;
    // Checked after the request_id (a retry gets the first answer whatever range it names), before
    // anything is written: a reversed, too long, empty or too large backfill leaves no job or action behind.
    // The cheap checks first: counting the range's fires may step through 100,000 of them.
    checkBackfillRange(startAt, endAt);
    checkPendingBackfills(store.backfills().length);
    const fires = checkBackfillFires(backfillSpec(this.host.compileFor(row), startAt - 1), startAt, endAt);
    withdrawPrepared(this.host, now);
    // "": its fires follow the schedule's policy at each decision; they are this spec's fires, whatever PATCH comes.
    const id = store.addBackfill(startAt - 1, endAt, overlap ?? "", row.spec, row.spec_origin);
    store.addAction({ at: now, nominal: null, actual: null, run_id: null, kind: "backfill", outcome: `backfill ${id} of ${fires} fires queued (runs {nominal}:backfill-${id})` });
    const answer = { backfill_id: id, fires };
    if (requestId !== undefined) store.recordBackfill(requestId, now, answer);
    return answer;
  }
}
