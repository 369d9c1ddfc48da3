import { DurableObject } from "cloudflare:workers";
import { mergePolicy, type OverlapPolicy, type Schedule } from "@sundial/sdk/protocol";
import { clock } from "../clock.ts";
import { ConflictError, NotFoundError } from "../core/errors.ts";
import { runClosed, SKIPPED_CATCHUP, tick, type PendingFire, type ScheduleState, type Transition } from "../core/schedule/machine.ts";
import { compileSpec, type CompiledSpec } from "../core/spec.ts";
import { delayedAtChange } from "../core/schedule/respec-delayed.ts";
import type { Env } from "../env.ts";
import { AlarmBackoff } from "./alarm-backoff.ts";
import { ArmedAlarm } from "./armed-alarm.ts";
import { prepareAheadMs } from "./names.ts";
import { guard, ok, type RpcResult } from "./rpc.ts";
import { persistTransition, queueIndex, type IndexMemo } from "./schedule-apply.ts";
import { backfillProgress, runBackfillBatches } from "./schedule-backfill.ts";
import { ScheduleDelivery, type IndexEntry } from "./schedule-delivery.ts";
import { ExtraRuns, type ExtraRunsHost } from "./schedule-extra-runs.ts";
import { CompiledSpecs, machineContext, nextScheduleAlarm } from "./schedule-plan.ts";
import { ScheduleStore, SCHEDULE_MIGRATIONS, SCHEDULE_SCHEMA, type BackfillOutcome, type ScheduleRow, type TriggerOutcome } from "./schedule-store.ts";
import type { RunClosedNotice, ScheduleDefinition, SchedulePatch, ScheduleUpdate } from "./schedule-types.ts";
import { changesNothing, changesSpec, checkUpsert, patchedRow, sameDefinition, statusRow, upsertedRow } from "./schedule-rows.ts";
import { prepareNext, withdrawPrepared } from "./schedule-prepared.ts";
import { scheduleView } from "./schedule-view.ts";
import { migratedOnFirstUse } from "./sql-migrations.ts";

/**
 * One schedule: spec, policy and state in SQLite, one alarm armed at the next thing to do. Every
 * decision (what is due, overlap, retries, completion) comes from core/schedule/machine.ts; this
 * class persists the transition, records actions, queues starts in its outbox, and re-arms last.
 */
export class ScheduleObject extends DurableObject<Env> {
  private readonly store: ScheduleStore;
  private readonly delivery: ScheduleDelivery;
  private readonly specs = new CompiledSpecs();
  private readonly index: IndexMemo = { last: null };
  /** Set when a change queued a withdraw or its index row's delete: its response then waits for the send. */
  private awaitSend = false;
  private readonly backoff: AlarmBackoff;
  private readonly armed: ArmedAlarm;
  /** What backfill batches, prepared runs and extra runs use of this object (schedule-backfill.ts, schedule-prepared.ts, schedule-extra-runs.ts). */
  private readonly host: ExtraRunsHost;
  private readonly extraRuns: ExtraRuns;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.backoff = new AlarmBackoff(ctx.storage);
    this.armed = new ArmedAlarm(ctx.storage);
    this.store = new ScheduleStore(migratedOnFirstUse(ctx.storage, SCHEDULE_MIGRATIONS, SCHEDULE_SCHEMA, () => this.store.startsEmpty()));
    this.host = {
      store: this.store,
      compileFor: (row) => this.compileFor(row),
      ctxFor: (row, now) => this.ctxFor(row, now),
      apply: (row, t, now) => this.apply(row, t, now),
      waitForSend: () => {
        this.awaitSend = true;
      },
      require: () => this.require(),
    };
    this.extraRuns = new ExtraRuns(this.host);
    // From inside a delivery: it must not wait for a send, which would be chained behind that delivery.
    this.delivery = new ScheduleDelivery(env, this.store, (notice) => this.runClosed(notice, true), () => this.relist());
  }

  /** Creates the schedule, or replaces its definition if it exists (the upsert); a new or changed spec is planned from now. */
  async upsert(def: ScheduleDefinition): Promise<RpcResult<{ schedule: Schedule; created: boolean }>> {
    const r = await this.change(() => {
      const now = clock.now();
      const current = this.store.get();
      checkUpsert(current, def);
      if (current && sameDefinition(current, def)) return { created: false };
      compileSpec(def.spec, { createdAt: now }); // a bad spec changes nothing, not even the prepared run
      const withdrawn = withdrawPrepared(this.host, now);
      // A new spec or a pause (paused: true) decides the old definition's due fires first, as a PATCH or a pause does.
      const existing = withdrawn && (changesSpec(withdrawn, def.spec) || def.paused) ? this.dueFirst(withdrawn, now) : withdrawn;
      const row = upsertedRow(def, existing, now, existing && this.delayedOver(existing, now), existing ? this.compileFor(existing) : undefined);
      this.compileFor(row); // throws a ValidationError before anything is written
      const t = tick(this.ctxFor(row, now), row.state);
      this.store.addAction({ at: now, nominal: null, actual: null, run_id: null, kind: "scheduled", outcome: existing ? `updated (version ${row.version})` : "created" });
      this.apply(row, t, now); // writes the row (with the transition's state)
      // A new definition is a fresh plan: a backoff left by failed alarms of the old one is over.
      this.backoff.succeeded();
      return { created: !existing };
    });
    return r.ok ? ok({ schedule: this.view(), created: r.value.created }) : r;
  }

  get(): RpcResult<Schedule> {
    return guard(() => this.view());
  }

  /**
   * What a trigger route reads before it checks an input override: the schedule's workflow (whose
   * schema the input must fit) and the answer already recorded for `requestId`, if any (a retry
   * gets it whatever input it sends, as it changes nothing).
   */
  triggerLookup(requestId: string | undefined): RpcResult<{ workflow: string; seen: TriggerOutcome | null }> {
    return guard(() => ({ workflow: this.require().workflow, seen: requestId === undefined ? null : this.store.triggerOutcome(requestId, clock.now()) }));
  }

  /**
   * Partial update with optimistic concurrency (`versionField`: where the caller gave the expected
   * version, named by the 409); a spec change re-plans from now.
   */
  async update(update: ScheduleUpdate, expectedVersion: number | null, versionField = "version"): Promise<RpcResult<Schedule>> {
    const r = await this.change(() => {
      const now = clock.now();
      const current = this.require();
      if (expectedVersion !== null && expectedVersion !== current.version) {
        throw new ConflictError(`version mismatch: the schedule is at version ${current.version}, the update expected ${expectedVersion}`, "version_conflict", { field: versionField });
      }
      const patch: SchedulePatch = { ...update, policy: mergePolicy(current.policy, ...(update.policy ?? [])) };
      this.compileFor({ ...current, ...(patch.spec ? { spec: patch.spec } : {}) }); // a bad spec changes nothing, not even the prepared run
      if (changesNothing(current, patch)) return;
      const withdrawn = withdrawPrepared(this.host, now)!;
      const before = changesSpec(withdrawn, patch.spec) ? this.dueFirst(withdrawn, now) : withdrawn;
      const updated = patchedRow(before, patch, now, this.delayedOver(before, now), this.compileFor(before));
      this.compileFor(updated);
      this.store.put(updated);
      this.store.addAction({ at: now, nominal: null, actual: null, run_id: null, kind: "scheduled", outcome: `updated (version ${updated.version})` });
      this.apply(updated, tick(this.ctxFor(updated, now), updated.state), now);
    });
    return this.answer(r);
  }

  async pause(note: string): Promise<RpcResult<Schedule>> {
    return this.setStatus("paused", note || "paused", false);
  }

  /**
   * Resumes, planning from now: fires that came due while paused are not run (Temporal's and
   * Pipelit's resume), unless `catchUp`, with which those within the catch-up window run.
   */
  async resume(note: string, catchUp = false): Promise<RpcResult<Schedule>> {
    return this.setStatus("active", note, catchUp);
  }

  private async setStatus(status: "active" | "paused", note: string, catchUp: boolean): Promise<RpcResult<Schedule>> {
    const r = await this.change(() => {
      const now = clock.now();
      const current = this.require();
      if (current.state.status === "completed" || current.state.status === "dead") {
        if (status === "paused") throw new ConflictError(`schedule is ${current.state.status}`, "schedule_not_active");
      }
      const row = this.dueFirst(withdrawPrepared(this.host, now)!, now);
      // Those fires were the last (a one-shot's, skipped by the catch-up window): nothing is left to pause.
      if (status === "paused" && row.state.status === "completed") throw new ConflictError("schedule is completed", "schedule_not_active");
      const { row: updated, outcome } = statusRow(row, status, note, catchUp, now, () => this.compileFor(row));
      this.store.put(updated);
      this.store.addAction({ at: now, nominal: null, actual: null, run_id: null, kind: "scheduled", outcome });
      this.apply(updated, tick(this.ctxFor(updated, now), updated.state), now);
    });
    return this.answer(r);
  }

  /**
   * Runs now (also while paused), through the overlap policy (the schedule's, unless overridden).
   * A retry with the same `requestId` changes nothing and gets the first call's answer, whatever
   * the overlap policy would now decide (the first run still running must not skip, cancel or
   * terminate itself).
   */
  async trigger(input: unknown, overlap: OverlapPolicy | undefined, requestId: string | undefined): Promise<RpcResult<TriggerOutcome>> {
    return this.change(() => this.extraRuns.trigger(input, overlap, requestId, clock.now()));
  }

  /**
   * Queues a backfill of [start, end] (the job's cursor starts 1 ms before start); started in
   * bounded batches by the alarm. A retry with the same `requestId` gets the first call's answer
   * and queues nothing.
   */
  async backfill(startAt: number, endAt: number, overlap: OverlapPolicy | undefined, requestId?: string): Promise<RpcResult<BackfillOutcome>> {
    return this.change(() => this.extraRuns.backfill(startAt, endAt, overlap, requestId, clock.now()));
  }

  /**
   * Deletes the schedule (runs it started keep running) and its index row. The answer waits for the
   * index delivery (one try; the outbox retries a failure), so a list, a count or a create of the
   * (workflow, key) after the 204 does not see the deleted schedule.
   */
  async remove(): Promise<RpcResult<{ deleted: true }>> {
    return this.change(() => {
      this.require();
      const row = withdrawPrepared(this.host, clock.now())!;
      this.store.wipe();
      // Its fires not yet started are not started (a schedule created later under this id would
      // start them as its own: its workflow, its queue, another's input); a withdraw still goes.
      for (const e of this.store.outbox.entries()) if (/^(start|cancel|terminate):/.test(e.key)) this.store.outbox.drop(e.key);
      this.index.last = null;
      this.store.outbox.put("index", { delete: true, namespace: row.namespace, schedule_id: row.schedule_id, workflow: row.workflow, key: row.key } satisfies IndexEntry, clock.now());
      this.awaitSend = true;
      return { deleted: true as const };
    });
  }

  /** A run this schedule started has closed (delivered at least once; duplicates change nothing). */
  async runClosed(notice: RunClosedNotice, fromDelivery = false): Promise<void> {
    // A close plans the fires after it (its tick): a late prepared fire (ALLOW_ALL prepares while
    // runs are open) is settled first, as for any change. Not when the notice comes from that run
    // (a skip is that settling itself, and asking a run that is waiting on this notice would deadlock).
    if (!fromDelivery && notice.status !== SKIPPED_CATCHUP && this.store.get()?.state.prepared?.runId !== notice.execution_id) await this.delivery.settleLate(clock.now()).catch((err: unknown) => console.warn("could not settle a late prepared run before a close", err));
    let row = this.store.get();
    if (!row) return;
    const now = clock.now();
    // A prepared run can finish (or be skipped) before this schedule's alarm has recorded its fire: record it now.
    const p = row.state.prepared;
    if (p && p.runId === notice.execution_id && notice.status === SKIPPED_CATCHUP) {
      // Its fire is handled, as skipped. Do what the fire's alarm would have: it may have been the
      // last fire (completed), or the next may be due or ready to prepare.
      this.advance(this.store.skipPrepared(row, p, now), now);
      await this.afterChange(fromDelivery);
      return;
    }
    if (p && p.runId === notice.execution_id) row = this.store.adopt(row, p, now);
    const t = runClosed(this.ctxFor(row, now), row.state, notice.execution_id, notice.status, notice.failure?.message ?? null);
    if (t.known) {
      this.store.setActionOutcome(notice.execution_id, notice.status);
      this.apply(row, t, now);
    }
    await this.afterChange(fromDelivery);
  }

  override async alarm(info?: AlarmInvocationInfo): Promise<void> {
    this.armed.rang();
    const now = clock.now();
    try {
      await this.delivery.settleLate(now);
      const row = this.store.get();
      if (row) this.advance(row, now);
      this.store.outbox.sweep();
      this.backoff.succeeded();
    } catch (err) {
      // One bad schedule state must not become an alarm loop: record it, and back off (alarm-backoff.ts).
      const retryAt = this.backoff.failed(now);
      const message = err instanceof Error ? err.message : String(err);
      console.error(`schedule alarm failed (${this.backoff.count} in a row)`, err);
      try {
        this.store.addAction({ at: now, nominal: null, actual: null, run_id: null, kind: "alarm", outcome: `failed: ${message.slice(0, 200)}; retrying in ${(retryAt - now) / 1000}s` });
      } catch (recordErr) {
        console.error("could not record the alarm failure", recordErr);
      }
    }
    // The alarm's own send: nobody waits on a withdraw it queued (and a later change must not think it does).
    this.awaitSend = false;
    // Send first, then arm once for what is left (a failed entry's retry, the next fire): one alarm
    // write per run instead of one at "now" and another after the send. Should the object die while
    // sending, the platform runs this alarm again, but only a few times; so a retry arms its own
    // backstop before it sends (the entries being sent count as due at the backstop meanwhile), as
    // ExecutionObject.alarm always does.
    const sending = this.delivery.flush();
    if (info?.isRetry) {
      try {
        this.rearm();
      } catch {
        // The re-arm after the send reports it and backs off.
      }
    }
    await sending.catch((err: unknown) => console.error("schedule outbox flush failed; the alarm retries it", err));
    try {
      this.rearm();
    } catch (err) {
      // Planning the next alarm failed too (a row that no longer compiles): retry on the backoff anyway.
      console.error("schedule alarm could not plan its next run", err);
      const at = clock.now();
      this.armed.set(this.backoff.failed(at), at);
    }
  }

  /** An alarm's work: the due fires, pending backfill batches, and preparing the next run. */
  private advance(row: ScheduleRow, now: number): void {
    this.apply(row, tick(this.ctxFor(row, now), row.state), now);
    runBackfillBatches(this.host, now);
    prepareNext(this.host, prepareAheadMs(this.env), now);
  }

  /** A withdraw's refusal adopted the run, or a late prepared run was skipped, after or outside a change's index row: list it (from inside a delivery). */
  private async relist(): Promise<void> {
    const row = this.store.get();
    if (row) queueIndex(this.store, this.compileFor(row), row, clock.now(), this.index);
    await this.afterChange(true);
  }

  /** Persists a transition (schedule-apply.ts); a prepared run it gave up is withdrawn. */
  private apply(row: ScheduleRow, t: Transition, now: number): void {
    if (persistTransition(this.store, this.compileFor(row), row, t, now, this.index)) this.awaitSend = true;
  }

  /**
   * A change's answer: the schedule as it is after the change's deliveries. A prepared run whose
   * time has come is adopted before the change (withdrawPrepared, schedule-prepared.ts); one the
   * execution finds begun only when the withdraw reaches it (its clock a little ahead) is adopted
   * by that delivery, and a pause or update racing the fire still answers with the fire counted.
   */
  private answer(r: RpcResult<unknown>): RpcResult<Schedule> {
    return r.ok ? ok(this.view()) : r;
  }

  /**
   * One change (upsert, update, pause, resume, trigger, backfill, delete): a prepared fire the
   * platform is back to past the window is settled first (ScheduleDelivery.settleLate), then the
   * change runs as one synchronous write, and what it queued is sent.
   */
  private async change<T>(fn: () => T): Promise<RpcResult<T>> {
    // If that cannot be done now, the change goes ahead: the run is adopted, and its first lease decides.
    await this.delivery.settleLate(clock.now()).catch((err: unknown) => console.warn("could not settle a late prepared run before the change", err));
    const r = guard(fn);
    await this.afterChange();
    return r;
  }

  /**
   * Sends what the change queued and re-arms; waits for the send when a prepared run is being
   * withdrawn or the schedule deleted, unless the change came from inside a delivery (the send is chained behind it).
   */
  private async afterChange(fromDelivery = false): Promise<void> {
    this.store.outbox.sweep();
    const wait = this.awaitSend && !fromDelivery;
    this.awaitSend = false;
    const sent = this.flush();
    this.rearm();
    if (wait) await sent.catch(() => {});
    else this.ctx.waitUntil(sent);
  }

  /** Sends the outbox; re-arms when it changed. */
  private async flush(): Promise<void> {
    if (await this.delivery.flush()) this.rearm();
  }

  /** One alarm: the earliest of the next fire/retry, preparing the next run, a pending backfill, and the outbox (schedule-plan.ts). */
  private rearm(): void {
    const row = this.store.get();
    const now = clock.now();
    const at = nextScheduleAlarm(row, row ? this.compileFor(row) : null, this.store.outbox.nextAt(), this.store.backfills(), prepareAheadMs(this.env), now);
    this.armed.set(at === null ? null : this.backoff.notBefore(at), now);
  }

  /**
   * Fires already due when a pause or a spec change lands (their alarm late: under load, or after
   * an outage) came due before it: they are decided now (started, buffered or skipped, within the
   * catch-up window), as that alarm would have, and then the schedule pauses or takes its new spec
   * (a prepared one is adopted by withdrawPrepared alike). Without this the resume passed them
   * over as "due while paused", and the new spec's plan from now dropped them uncounted. A change
   * that keeps the spec leaves them to the alarm, which runs them under the new definition.
   */
  private dueFirst(row: ScheduleRow, now: number): ScheduleRow {
    if (row.state.status !== "active") return row;
    const t = tick(this.ctxFor(row, now), row.state);
    if (t.start.length === 0 && t.outcomes.length === 0 && JSON.stringify(t.state) === JSON.stringify(row.state)) return row;
    this.apply(row, t, now);
    return this.store.get()!;
  }

  /** The fire a spec change of `row` at `now` holds: the old spec's, waiting on its jitter (core/schedule/respec-delayed.ts). */
  private delayedOver(row: ScheduleRow, now: number): PendingFire | null {
    return delayedAtChange(this.compileFor(row), row.schedule_id, row.state, row.policy.overlap, now);
  }

  private ctxFor(row: ScheduleRow, now: number) {
    return machineContext(this.compileFor(row), row, now);
  }

  private compileFor(row: Pick<ScheduleRow, "spec" | "spec_origin">): CompiledSpec {
    return this.specs.of(row);
  }

  private require(): ScheduleRow {
    const row = this.store.get();
    if (!row) throw new NotFoundError("schedule not found", "schedule_not_found");
    return row;
  }

  private view(): Schedule {
    const row = this.require();
    return scheduleView(row, this.compileFor(row), this.store.actions(), backfillProgress(this.host, row), clock.now());
  }
}

export type { ScheduleState };
