/**
 * What a task queue knows of its workers and backlog, for `GET /v1/workflows/task-queues/{name}`:
 * who polled it lately (kept in the queue object's memory, as Temporal's matching service keeps
 * pollers), and the merge of a queue's partitions into one answer.
 */

export type TaskKind = "workflow" | "activity";

/** A worker seen polling: for which kind and types, and when its last poll began (ms). */
export interface PollerSighting {
  identity: string;
  kind: TaskKind;
  types: readonly string[] | null;
  lastPollAt: number;
}

/** How long a worker that stopped polling is still listed (Temporal's 5 minutes). */
export const POLLER_TTL_MS = 5 * 60_000;
/** Most pollers one queue object remembers (the least recently seen go first). */
export const POLLERS_CAP = 1_000;
/**
 * Most type names one queue object remembers over all its pollers (the least recently seen go
 * first): a poll may name 1,000 types of 200 characters, so the poller cap alone would let a
 * queue object hold 200 MB of them, past a Durable Object's 128 MB.
 */
export const POLLER_TYPES_CAP = 50_000;

/** The workers that polled one queue object lately, one entry per (kind, identity). */
export class PollerBook {
  private readonly seen = new Map<string, PollerSighting>();
  /** Type names held by the entries of `seen`. */
  private types = 0;

  /**
   * `now` is when the poll began: a poll calls again while it is held, and a worker's polls overlap
   * (several pollers per kind), so a call of an older poll never moves `lastPollAt` back.
   */
  record(kind: TaskKind, identity: string, types: readonly string[] | null, now: number): void {
    const key = `${kind}\n${identity}`;
    const lastPollAt = Math.max(now, this.seen.get(key)?.lastPollAt ?? now);
    // Re-inserted, so the map's order is least recently seen first.
    this.forget(key);
    this.seen.set(key, { identity, kind, types, lastPollAt });
    this.types += types?.length ?? 0;
    for (const [k, p] of this.seen) {
      if (k === key || (this.seen.size <= POLLERS_CAP && this.types <= POLLER_TYPES_CAP && p.lastPollAt > now - POLLER_TTL_MS)) break;
      this.forget(k);
    }
  }

  private forget(key: string): void {
    this.types -= this.seen.get(key)?.types?.length ?? 0;
    this.seen.delete(key);
  }

  /** The pollers seen within the TTL, most recent first. */
  list(now: number): PollerSighting[] {
    return [...this.seen.values()].filter((p) => p.lastPollAt > now - POLLER_TTL_MS).sort((a, b) => b.lastPollAt - a.lastPollAt);
  }
}

/** One kind of task on one partition. */
export interface KindState {
  backlog: number;
  /** When the oldest visible task became available (ms), or null. */
  oldestAvailableAt: number | null;
}

/** What one partition of a queue reports. */
export interface PartitionState {
  workflow: KindState & { delayed: number };
  activity: KindState;
  pollers: (PollerSighting & { polling: boolean })[];
}

const minOrNull = (xs: (number | null)[]): number | null => xs.reduce<number | null>((m, x) => (x === null ? m : m === null ? x : Math.min(m, x)), null);

/**
 * One queue over its partitions: backlogs add up, the oldest is the oldest of all, and a worker
 * (a poll probes every partition) is listed once per kind, with its latest poll.
 */
export function mergePartitions(parts: readonly PartitionState[]): PartitionState {
  const kind = (k: TaskKind): KindState => ({
    backlog: parts.reduce((n, p) => n + p[k].backlog, 0),
    oldestAvailableAt: minOrNull(parts.map((p) => p[k].oldestAvailableAt)),
  });
  const pollers = new Map<string, PollerSighting & { polling: boolean }>();
  for (const p of parts.flatMap((x) => x.pollers)) {
    const key = `${p.kind}\n${p.identity}`;
    const had = pollers.get(key);
    const latest = !had || p.lastPollAt > had.lastPollAt ? p : had;
    pollers.set(key, { ...latest, polling: p.polling || (had?.polling ?? false) });
  }
  return {
    workflow: { ...kind("workflow"), delayed: parts.reduce((n, p) => n + p.workflow.delayed, 0) },
    activity: kind("activity"),
    pollers: [...pollers.values()].sort((a, b) => b.lastPollAt - a.lastPollAt),
  };
}
