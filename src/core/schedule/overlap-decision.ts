import { LIMITS } from "../limits.ts";
import { decideOverlap, type OverlapDecision, type OverlapPolicy } from "../overlap.ts";
import type { PendingFire, ScheduleState } from "./machine.ts";

/**
 * The overlap policy's decision for a schedule's waiting fires and the fires due now: each under
 * its own `overlap` (a trigger's or backfill's) or else `policy`, the schedule's at this decision.
 */
export function overlapDecision(policy: OverlapPolicy, s: ScheduleState, due: readonly PendingFire[]): OverlapDecision<PendingFire> {
  return decideOverlap({ policy, policyOf: (f) => f.overlap, running: s.running.map((r) => r.runId), buffer: s.buffer, due, bufferCap: LIMITS.bufferCap });
}
