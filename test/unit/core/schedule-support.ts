import type { PendingFire } from "../../../src/core/schedule/machine.ts";
import type { OverlapPolicy } from "../../../src/core/overlap.ts";

/** Fires given an overlap policy of their own, as a trigger's or backfill's `overlap` makes them (the same objects). */
export function withOverlap<F extends PendingFire>(fires: F[], overlap: OverlapPolicy): F[] {
  return fires.map((f) => Object.assign(f, { overlap }));
}
