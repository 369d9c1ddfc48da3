/**
 * Which index rows a worker registration's schedules in code claim, and why a claim batch was
 * refused. A code schedule claims its (workflow, key) and its id as a REST create does: a
 * placeholder index row, taken in one D1 transaction with the namespace's limit, before its object
 * is written (src/index/code-schedule-claims.ts holds the SQL, which decides the same way).
 */
import { firstCreatedPastLimit } from "./code-schedule-limits.ts";

/** An index row's identity: its schedule id and the (workflow, key) it holds. */
export interface IndexTriple {
  schedule_id: string;
  workflow: string;
  key: string;
}

export interface CodeClaim extends IndexTriple {
  /** The declared schedule's request path, `workflows.N.schedules.M`. */
  path: string;
  /** A schedule the namespace does not have yet: it counts against the limit (a re-created id, its key changed, does not). */
  isNew: boolean;
  /** Its id or its pair is held by a schedule the registration removes: claimed once that one is gone. */
  afterRemovals: boolean;
}

export const sameTriple = (a: IndexTriple, b: IndexTriple): boolean => a.schedule_id === b.schedule_id && a.workflow === b.workflow && a.key === b.key;

/**
 * The claims of one workflow's upserts: every declared schedule except one updated in place (its
 * id already holds its key). `existing` is the workflow's code schedules in the index, `removals`
 * the ids the registration deletes (no longer declared, or re-created with another key).
 */
export function codeScheduleClaims(c: { workflow: string; upserts: { id: string; key: string; path: string }[]; existing: IndexTriple[]; removals: readonly string[] }): CodeClaim[] {
  const claims: CodeClaim[] = [];
  for (const u of c.upserts) {
    const held = c.existing.find((e) => e.schedule_id === u.id);
    if (held?.key === u.key) continue;
    const keyFreed = c.existing.some((e) => e.key === u.key && c.removals.includes(e.schedule_id));
    claims.push({ schedule_id: u.id, workflow: c.workflow, key: u.key, path: u.path, isNew: !held, afterRemovals: held !== undefined || keyFreed });
  }
  return claims;
}

/** What a claim batch read, in its transaction, before it inserted. */
export interface ClaimState {
  /** The namespace's schedule count. */
  count: number;
  /** Rows holding a claim's id or pair. */
  holders: (IndexTriple & { source: string })[];
  /** How many of the registration's removals still have their rows (they free their slots). */
  gonePresent: number;
}

export type ClaimVerdict =
  | { ok: true; fresh: CodeClaim[] }
  | { ok: false; taken: CodeClaim; holder: IndexTriple & { source: string } }
  | { ok: false; pastLimit: string; count: number; created: number };

/** The id an API create without `schedule_id` gets: `{workflow}:{key}`. */
export const defaultScheduleId = (workflow: string, key: string): string => `${workflow}:${key}`;

/**
 * Whether `holder`, a row holding a claim's id or pair, keeps the claim from going through: any row
 * of another triple, and an API-created schedule even of the same one (an API create of key
 * `code-0` gets the default id `{workflow}:code-0`, the id of the workflow's first code schedule,
 * and a create may name such an id itself: a registration must not take it over, nor a later one
 * delete it). The source is all that tells them apart: a code schedule an API create switched to
 * `api` before creates stopped doing that (2026-12-03) is refused too, and deleting it lets the
 * registration create it again.
 */
const takes = (holder: IndexTriple & { source: string }, c: IndexTriple): boolean => holder.source === "api" || !sameTriple(holder, c);

/**
 * Whether the claims go through, decided as the claim SQL does: each claim's id and pair must be
 * free, or held by a code row of the same triple (a claim or schedule already there: nothing to
 * insert), or by a schedule in `gone` (the registration removes it); and the namespace, once the removals
 * are gone and the fresh claims in, must stay within `limit` unless no fresh claim is a new
 * schedule (as {@link firstCreatedPastLimit}: re-registering never fails for the limit).
 */
export function claimVerdict(claims: readonly CodeClaim[], state: ClaimState, gone: readonly IndexTriple[], limit: number): ClaimVerdict {
  for (const c of claims) {
    const holder = state.holders.find((h) => takes(h, c) && !gone.some((g) => sameTriple(g, h)) && (h.schedule_id === c.schedule_id || (h.workflow === c.workflow && h.key === c.key)));
    if (holder) return { ok: false, taken: c, holder };
  }
  const fresh = claims.filter((c) => !state.holders.some((h) => sameTriple(h, c)));
  const created = fresh.filter((c) => c.isNew).map((c) => c.path);
  const removed = state.gonePresent - fresh.filter((c) => !c.isNew).length;
  const past = firstCreatedPastLimit({ count: state.count, removed, limit, created });
  return past ? { ok: false, pastLimit: past, count: state.count, created: created.length } : { ok: true, fresh };
}
