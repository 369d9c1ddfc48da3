/** Temporal's overlap policies, scoped to one schedule. */
export const OVERLAP_POLICIES = ["SKIP", "BUFFER_ONE", "BUFFER_ALL", "CANCEL_OTHER", "TERMINATE_OTHER", "ALLOW_ALL"] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export interface OverlapInput<T> {
  policy: OverlapPolicy;
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
 * Applies an overlap policy (Temporal's `ProcessBuffer`, as one pure function). Buffered fires go
 * before newly due ones. SKIP never starts a second run; BUFFER_ONE keeps the first waiting fire and
 * drops later ones until it starts; BUFFER_ALL queues up to `bufferCap`; CANCEL_OTHER asks running
 * runs to cancel and keeps only the newest fire waiting for the slot; TERMINATE_OTHER terminates
 * them and starts the newest at once; ALLOW_ALL starts everything.
 */
export function decideOverlap<T>(input: OverlapInput<T>): OverlapDecision<T> {
  const candidates = [...input.buffer, ...input.due];
  const busy = input.running.length > 0;
  const none: OverlapDecision<T> = { start: [], buffer: [], cancel: [], terminate: [], skipped: [] };
  if (candidates.length === 0) return { ...none, buffer: [] };
  switch (input.policy) {
    case "ALLOW_ALL":
      return { ...none, start: candidates };
    case "SKIP":
      return busy ? { ...none, skipped: candidates } : { ...none, start: candidates.slice(0, 1), skipped: candidates.slice(1) };
    case "BUFFER_ONE": {
      const [first, second, ...rest] = candidates;
      if (busy) return { ...none, buffer: [first!], skipped: second === undefined ? rest : [second, ...rest] };
      return { ...none, start: [first!], buffer: second === undefined ? [] : [second], skipped: rest };
    }
    case "BUFFER_ALL": {
      const queue = busy ? candidates : candidates.slice(1);
      const kept = queue.slice(0, input.bufferCap);
      return { ...none, start: busy ? [] : candidates.slice(0, 1), buffer: kept, skipped: queue.slice(input.bufferCap) };
    }
    case "CANCEL_OTHER": {
      const newest = candidates[candidates.length - 1]!;
      const older = candidates.slice(0, -1);
      if (busy) return { ...none, cancel: [...input.running], buffer: [newest], skipped: older };
      return { ...none, start: [newest], skipped: older };
    }
    case "TERMINATE_OTHER": {
      const newest = candidates[candidates.length - 1]!;
      return { ...none, terminate: [...input.running], start: [newest], skipped: candidates.slice(0, -1) };
    }
  }
}
