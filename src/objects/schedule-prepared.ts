import type { MachineContext } from "../core/schedule/machine.ts";
import { planPrepare } from "../core/schedule/prepare.ts";
import type { CompiledSpec } from "../core/spec.ts";
import { queuePrepared, queueWithdraw } from "./schedule-apply.ts";
import type { ScheduleRow, ScheduleStore } from "./schedule-store.ts";

// A schedule's side of its runs prepared ahead of their fire time (core/schedule/prepare.ts):
// preparing the next one after an alarm, and taking it back before a change (the execution's side
// is execution-prepared.ts).

/** What prepared-run handling needs of its ScheduleObject. */
export interface PreparedHost {
  store: ScheduleStore;
  compileFor(row: Pick<ScheduleRow, "spec" | "spec_origin">): CompiledSpec;
  ctxFor(row: ScheduleRow, now: number): MachineContext;
  /** A withdraw was queued: the change's response waits for its send. */
  waitForSend(): void;
}

/** Creates the next fire's run ahead of time when nothing before its fire time can change it (core/schedule/prepare.ts). */
export function prepareNext(host: PreparedHost, prepareAheadMs: number, now: number): void {
  const row = host.store.get();
  if (!row) return;
  const d = planPrepare(host.ctxFor(row, now), row.state, prepareAheadMs, host.store.backfills().length > 0);
  if (d.kind === "prepare") queuePrepared(host.store, host.compileFor(row), row, d.run, now);
}

/**
 * Takes back the prepared run before a change that could alter it (pause, update, delete,
 * trigger, backfill). The withdraw goes out through the outbox after any start still queued for
 * it, and the change's response waits for it. Returns the row as it is afterwards.
 */
export function withdrawPrepared(host: PreparedHost, now: number): ScheduleRow | null {
  const row = host.store.get();
  if (!row?.state.prepared) return row;
  // Its fire time has come: it has begun (the execution would refuse the withdraw), so it is this
  // fire's start, as the alarm's tick would record it.
  if (row.state.prepared.actual <= now) return host.store.adopt(row, row.state.prepared, now);
  queueWithdraw(host.store, row, row.state.prepared, now);
  host.waitForSend();
  const updated = { ...row, state: { ...row.state, prepared: null } };
  host.store.put(updated);
  return updated;
}
