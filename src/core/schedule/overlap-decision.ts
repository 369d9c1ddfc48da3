import { LIMITS } from "../limits.ts";
import { decideOverlap, type OverlapDecision, type OverlapPolicy } from "../overlap.ts";
import type { PendingFire, ScheduleState } from "./state.ts";

/**
 * The overlap policy's decision for a schedule's waiting fires and the fires due now: each under
 * its own `overlap` (a trigger's or backfill's) or else `policy`, the schedule's at this decision.
 */
export function overlapDecision(policy: OverlapPolicy, s: ScheduleState, due: readonly PendingFire[]): OverlapDecision<PendingFire> {
  return decideOverlap({ policy, policyOf: (f) => f.overlap, running: s.running.map((r) => r.runId), buffer: s.buffer, due, bufferCap: LIMITS.bufferCap });
}

const newestWins = (p: OverlapPolicy): boolean => p === "CANCEL_OTHER" || p === "TERMINATE_OTHER";

/**
 * Puts back the fires a schedule that is not active holds out of its decisions (its own scheduled
 * fires that were waiting for the slot when it paused) after a decision of fires that run also
 * while paused (triggers, backfills), `d` of `due` alone. Those fires are newer than every held
 * one, so:
 * - under CANCEL_OTHER or TERMINATE_OTHER, where the newest fire takes the place of every fire
 *   before it, a held fire is dropped (counted as skipped by overlap) once a newer fire is kept
 *   (started or waiting) and either one's policy is one of those two — never at the resume, where
 *   it would cancel or terminate the run of a trigger decided after it;
 * - otherwise the held fires wait behind the fires decided while paused, so at the resume they join
 *   the decision last: under BUFFER_ONE a trigger answered `buffered` keeps its place and the held
 *   fire is the one skipped, as a newer fire would be.
 */
export function withHeldFires(policy: OverlapPolicy, held: readonly PendingFire[], due: readonly PendingFire[], d: OverlapDecision<PendingFire>): OverlapDecision<PendingFire> {
  if (held.length === 0) return d;
  const kept = due.filter((f) => !d.skipped.includes(f));
  const supersedes = kept.some((f) => newestWins(f.overlap ?? policy));
  const dropped = kept.length === 0 ? [] : held.filter((h) => supersedes || newestWins(h.overlap ?? policy));
  const staying = held.filter((h) => !dropped.includes(h));
  return { ...d, buffer: [...d.buffer, ...staying], skipped: [...dropped, ...d.skipped] };
}
