import type { OverlapDecision } from "../overlap.ts";
import type { PendingFire } from "./state.ts";

/** An overlap decision whose backfilled fires carry their `last_timestamp`, and the waiting fires it re-linked. */
export interface ChainedDecision {
  decision: OverlapDecision<PendingFire>;
  /** The fire a re-linked waiting fire was before this decision (it is still that fire, not a newly buffered one). */
  was: ReadonlyMap<PendingFire, PendingFire>;
}

/**
 * What a fire of backfill `job` that followed `last` follows once the waiting fires a decision
 * dropped are gone: they never run, so it follows what the dropped one followed, down the chain
 * (one decision can drop a whole run of a job's waiting fires, each following the one before it).
 */
export function followDropped(dropped: readonly PendingFire[], job: number | undefined, last: number | null | undefined): number | null | undefined {
  const droppedAt = (n: number | null | undefined) => dropped.find((b) => b.kind === "backfill" && b.backfillId === job && b.nominal === n);
  for (let g = droppedAt(last); g; g = droppedAt(last)) last = g.last;
  return last;
}

/**
 * A backfilled fire's `last_timestamp` is the backfilled fire before it that the overlap policy
 * did not skip (it started, or waits in the buffer to start): "everything since last_timestamp"
 * then also covers the windows of the fires skipped between them. The first backfilled fire of a
 * batch starts the chain from its own `last` (the backfill's last fire not skipped, or null).
 *
 * Fires that waited and are dropped by this decision (CANCEL_OTHER keeps only the newest; a
 * policy change can drop many) never run: a fire that followed one of them, waiting or due,
 * follows what that one followed, down the chain.
 */
export function chainBackfills(buffered: readonly PendingFire[], due: readonly PendingFire[], d: OverlapDecision<PendingFire>): ChainedDecision {
  const skipped = new Set(d.skipped);
  const dropped = buffered.filter((b) => b.kind === "backfill" && skipped.has(b));
  const follow = (f: PendingFire) => followDropped(dropped, f.backfillId, f.last);
  const relinked = new Map<PendingFire, PendingFire>();
  const was = new Map<PendingFire, PendingFire>();
  if (dropped.length > 0) {
    for (const b of buffered) {
      if (b.kind !== "backfill" || skipped.has(b)) continue;
      const last = follow(b);
      if (last === b.last) continue;
      const moved = { ...b, last };
      relinked.set(b, moved);
      was.set(moved, b);
    }
  }
  let chain: number | null | undefined;
  let first = true;
  for (const f of due) {
    if (f.kind !== "backfill") continue;
    if (first) chain = follow(f);
    first = false;
    if (skipped.has(f)) continue;
    if (chain !== undefined && f.last !== chain) relinked.set(f, { ...f, last: chain });
    chain = f.nominal;
  }
  if (relinked.size === 0) return { decision: d, was };
  const sub = (f: PendingFire) => relinked.get(f) ?? f;
  return { decision: { ...d, start: d.start.map(sub), buffer: d.buffer.map(sub) }, was };
}
