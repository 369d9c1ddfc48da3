import { utf8Length } from "@sundial/sdk/protocol";

/**
 * History pages bounded by size, not only by count: an event can carry a 256 KiB payload, so 500
 * events (or a whole 50,000-event history) can be far larger than a Durable Object RPC (32 MiB) or
 * a Worker's memory allows. A workflow task carries the newest events that fit
 * LIMITS.taskHistoryBytes; a worker reads the rest, and anyone reads the history, in pages that fit
 * LIMITS.historyPageBytes.
 */

/** One stored event, as SQLite holds it (attributes as JSON text). */
export type EventRow = {
  id: number;
  type: string;
  ts: number;
  attrs: string;
  /** UTF-8 bytes of `attrs` when the query selected them (octet_length): saves counting them here. */
  bytes?: number;
};

/** What an event costs in a page: UTF-8 bytes of its JSON attributes plus an envelope for id, type and timestamp. */
export function eventCost(row: EventRow): number {
  return (row.bytes ?? utf8Length(row.attrs)) + row.type.length + 64;
}

/**
 * The leading rows of `rows` whose costs sum to at most `maxCost`, but never fewer than one (a
 * page always moves forward). Reads the iterator only one row past what it takes, so a lazy SQL
 * cursor reads no further than the page. `more`: rows were left.
 * @example
 * takeWithin([{ id: 1, type: "a", ts: 0, attrs: "{}" }, ...], 4096) // { rows: [...], more: false }
 */
export function takeWithin(rows: Iterable<EventRow>, maxCost: number): { rows: EventRow[]; more: boolean } {
  const taken: EventRow[] = [];
  let total = 0;
  for (const row of rows) {
    const cost = eventCost(row);
    if (taken.length > 0 && total + cost > maxCost) return { rows: taken, more: true };
    taken.push(row);
    total += cost;
  }
  return { rows: taken, more: false };
}
