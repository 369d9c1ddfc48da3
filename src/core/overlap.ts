/** Temporal's overlap policies, scoped to one schedule. */
export const OVERLAP_POLICIES = ["SKIP", "BUFFER_ONE", "BUFFER_ALL", "CANCEL_OTHER", "TERMINATE_OTHER", "ALLOW_ALL"] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export interface OverlapInput<T> {
  /** The schedule's policy: what a fire without its own (see `policyOf`) follows. */
  policy: OverlapPolicy;
  /**
   * A fire's own policy, when it has one (a trigger or backfill given `overlap`); resolved at
   * each decision otherwise, so a policy change applies to fires already waiting, as in Temporal.
   */
  policyOf?: (fire: T) => OverlapPolicy | undefined;
  /** Run ids of this schedule's runs that are still open. */
  running: readonly string[];
  /** Fires waiting for a slot (BUFFER_* and CANCEL_OTHER), oldest first. */
  buffer: readonly T[];
  /** Fires that came due now, oldest first. */
  due: readonly T[];
  bufferCap: number;
}

/** What to do, as plain data; the ScheduleObject carries it out. */
export interface OverlapDecision<T> {
  start: T[];
  buffer: T[];
  /** Running runs to request cancellation of (CANCEL_OTHER). */
  cancel: string[];
  /** Running runs to terminate now (TERMINATE_OTHER). */
  terminate: string[];
  /** Fires dropped by the policy (counted as skipped by overlap). */
  skipped: T[];
}

/**
 * Applies the overlap policy (Temporal's `ProcessBuffer`, as one pure function): the waiting fires,
 * then the newly due ones, oldest first, each under its own policy. With no run open the first
 * starts, whatever its policy; past that, a fire under SKIP is dropped; under BUFFER_ONE it waits
 * if nothing else does; under BUFFER_ALL it waits (up to `bufferCap`); under CANCEL_OTHER the open
 * runs are asked to cancel and it waits for the slot; under TERMINATE_OTHER they are terminated
 * and it starts at once. CANCEL_OTHER and TERMINATE_OTHER keep only the newest fire: one takes the
 * place of every fire before it, waiting or about to start. ALLOW_ALL starts the fire whatever is
 * open (unless a run is being cancelled or terminated for a newer fire: then it is dropped). So a
 * fire's policy decides only its own fate (and, for the last two, that of the fires before it): a
 * trigger under SKIP never drops a scheduled fire that waits under BUFFER_ONE.
 */
export function decideOverlap<T>(input: OverlapInput<T>): OverlapDecision<T> {
  const candidates = [...input.buffer, ...input.due];
  const busy = input.running.length > 0;
  const policyOf = (f: T): OverlapPolicy => input.policyOf?.(f) ?? input.policy;
  const overlapping: T[] = [];
  let buffer: T[] = [];
  const skipped: T[] = [];
  let first: T | undefined;
  let cancel = false;
  let terminate = false;
  for (const f of candidates) {
    const policy = policyOf(f);
    if (policy === "ALLOW_ALL") {
      overlapping.push(f);
      continue;
    }
    if (!busy && first === undefined) {
      first = f;
      continue;
    }
    switch (policy) {
      case "SKIP":
        skipped.push(f);
        break;
      case "BUFFER_ONE":
        if (buffer.length === 0) buffer.push(f);
        else skipped.push(f);
        break;
      case "BUFFER_ALL":
        if (buffer.length < input.bufferCap) buffer.push(f);
        else skipped.push(f);
        break;
      case "CANCEL_OTHER":
      case "TERMINATE_OTHER": {
        // The newest wins: every fire before it, waiting or about to start, is dropped.
        skipped.push(...(first === undefined ? [] : [first]), ...buffer);
        buffer = [];
        first = undefined;
        if (!busy || policy === "TERMINATE_OTHER") first = f;
        else buffer = [f];
        // The newest such fire says what happens to the open runs (a fire it replaced says nothing):
        // a run terminated for a fire that then waits under CANCEL_OTHER would leave it no close to wait for.
        cancel = busy && policy === "CANCEL_OTHER";
        terminate = busy && policy === "TERMINATE_OTHER";
        break;
      }
    }
  }
  // A run cancelled or terminated for a newer fire would take any ALLOW_ALL start down with it: none starts.
  const starting = cancel || terminate ? [] : overlapping;
  if (starting !== overlapping) skipped.push(...overlapping);
  const starts = new Set(starting);
  const dropped = new Set(skipped);
  const start = candidates.filter((f) => f === first || starts.has(f));
  return {
    start,
    buffer,
    cancel: cancel ? [...input.running] : [],
    terminate: terminate ? [...input.running] : [],
    skipped: candidates.filter((f) => dropped.has(f)),
  };
}
