/**
 * D1 side of the claims a worker registration's schedules in code take (see
 * src/core/code-schedule-claims.ts): all of one registration's claims in one batch, which D1 runs
 * as one transaction, so concurrent registrations and REST creates (lookupForCreate) see each
 * other's claims and the count that includes them. The lists travel as JSON (D1 binds at most 100
 * parameters per statement, a registration declares up to 1,000 schedules).
 */
import { claimVerdict, sameTriple, type ClaimState, type ClaimVerdict, type CodeClaim, type IndexTriple } from "../core/code-schedule-claims.ts";

const TRIPLES = (param: string) =>
  `SELECT json_extract(value, '$.schedule_id') AS schedule_id, json_extract(value, '$.workflow') AS workflow, json_extract(value, '$.key') AS key FROM json_each(${param})`;

/** Rows holding the id or the pair of a claim in ?2 (each found through its index, claim by claim). */
const HOLDERS = `SELECT s.schedule_id, s.workflow, s.key, s.source FROM (${TRIPLES("?2")}) c CROSS JOIN schedules s ON s.namespace = ?1 AND s.schedule_id = c.schedule_id
  UNION SELECT s.schedule_id, s.workflow, s.key, s.source FROM (${TRIPLES("?2")}) c CROSS JOIN schedules s ON s.namespace = ?1 AND s.workflow = c.workflow AND s.key = c.key`;

/** Rows of the triples in ?3 (the registration's removals) still in the index. */
const GONE_PRESENT = `SELECT COUNT(*) FROM (${TRIPLES("?3")}) g CROSS JOIN schedules s ON s.namespace = ?1 AND s.schedule_id = g.schedule_id AND s.workflow = g.workflow AND s.key = g.key`;

/**
 * Inserts every claim of ?2 marked `insert` whose triple is not in the index yet, or none: none
 * when a claim's id or pair is held by another row that is not one of the removals (?3), or by an
 * API-created schedule (also one of the same triple: a registration never takes one over), or when
 * the fresh claims would take the namespace past ?5 (the removals' rows counted out) and one of
 * them is a new schedule. The SELECT reads `schedules`, so SQLite runs it to the end before the
 * first row goes in: every condition sees the index as it was.
 */
const INSERT = `WITH c AS (SELECT json_extract(value, '$.schedule_id') AS schedule_id, json_extract(value, '$.workflow') AS workflow, json_extract(value, '$.key') AS key,
                   json_extract(value, '$.isNew') AS is_new, json_extract(value, '$.insert') AS ins FROM json_each(?2)),
  g AS (${TRIPLES("?3")}),
  h AS (${HOLDERS}),
  fresh AS (SELECT * FROM c WHERE NOT EXISTS (SELECT 1 FROM h WHERE h.schedule_id = c.schedule_id AND h.workflow = c.workflow AND h.key = c.key)),
  blocked AS (SELECT 1 FROM c JOIN h ON (h.schedule_id = c.schedule_id OR (h.workflow = c.workflow AND h.key = c.key))
    WHERE (h.source = 'api' OR NOT (h.schedule_id = c.schedule_id AND h.workflow = c.workflow AND h.key = c.key))
      AND NOT EXISTS (SELECT 1 FROM g WHERE g.schedule_id = h.schedule_id AND g.workflow = h.workflow AND g.key = h.key))
INSERT INTO schedules (namespace, schedule_id, workflow, key, status, source, created_at, updated_at)
SELECT ?1, schedule_id, workflow, key, 'active', 'code', ?4, 0 FROM fresh
WHERE ins = 1 AND NOT EXISTS (SELECT 1 FROM blocked)
  AND ((SELECT COUNT(*) FROM fresh WHERE is_new = 1) = 0
    OR COALESCE((SELECT n FROM namespace_schedule_counts WHERE namespace = ?1), 0) - (${GONE_PRESENT}) + (SELECT COUNT(*) FROM fresh) <= ?5)
ON CONFLICT DO NOTHING`;

export interface ClaimRequest {
  namespace: string;
  now: number;
  limit: number;
  /** Checked, in request order; inserted when `insert` is true. */
  claims: { claim: CodeClaim; insert: boolean }[];
  /** Rows the registration removes: they hold nothing against the claims and free their slots. */
  gone: IndexTriple[];
  /** Code rows to delete first, in the same transaction (removals whose objects are gone). */
  drop?: IndexTriple[];
}

/**
 * One round trip: drops `drop`, reads what the claims need, and inserts them (all or none). The
 * verdict names why they were refused; `inserted` are the ids this batch claimed (the ones to
 * release if the registration fails before their objects are written).
 */
export async function claimCodeSchedules(db: D1Database, r: ClaimRequest): Promise<{ verdict: ClaimVerdict; inserted: string[] }> {
  const claims = JSON.stringify(r.claims.map(({ claim, insert }) => ({ schedule_id: claim.schedule_id, workflow: claim.workflow, key: claim.key, isNew: claim.isNew ? 1 : 0, insert: insert ? 1 : 0 })));
  const gone = JSON.stringify(r.gone.map(({ schedule_id, workflow, key }) => ({ schedule_id, workflow, key })));
  const drop = r.drop?.length
    ? [db.prepare(`DELETE FROM schedules WHERE namespace = ?1 AND source = 'code' AND (schedule_id, workflow, key) IN (${TRIPLES("?2")})`).bind(r.namespace, JSON.stringify(r.drop.map(({ schedule_id, workflow, key }) => ({ schedule_id, workflow, key }))))]
    : [];
  const results = await db.batch([
    ...drop,
    db.prepare(`SELECT COALESCE((SELECT n FROM namespace_schedule_counts WHERE namespace = ?1), 0) AS n, (${GONE_PRESENT}) AS gone_present`).bind(r.namespace, claims, gone),
    db.prepare(HOLDERS).bind(r.namespace, claims),
    db.prepare(INSERT).bind(r.namespace, claims, gone, r.now, r.limit),
    db.prepare(HOLDERS).bind(r.namespace, claims),
  ]);
  const [counts, before, , after] = results.slice(drop.length);
  const row = counts!.results[0] as { n: number; gone_present: number };
  const state: ClaimState = { count: row.n, gonePresent: row.gone_present, holders: before!.results as ClaimState["holders"] };
  const verdict = claimVerdict(r.claims.map((c) => c.claim), state, r.gone, r.limit);
  // What the INSERT did, read in its transaction (meta.changes counts the count trigger's writes too).
  const present = after!.results as IndexTriple[];
  const inserted = r.claims
    .filter(({ claim, insert }) => insert && !state.holders.some((h) => sameTriple(h, claim)) && present.some((p) => sameTriple(p, claim)))
    .map(({ claim }) => claim.schedule_id);
  const expected = verdict.ok ? verdict.fresh.filter((c) => r.claims.some((x) => x.insert && x.claim === c)).length : 0;
  if (inserted.length !== expected) {
    await releaseCodeClaims(db, r.namespace, inserted);
    throw new Error(`code schedule claims: ${inserted.length} inserted where ${expected} were expected (${verdict.ok ? "accepted" : "refused"})`);
  }
  return { verdict, inserted };
}

/** Drops claims of a registration that failed before their objects were written (a row an object wrote since stays). */
export async function releaseCodeClaims(db: D1Database, namespace: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.prepare("DELETE FROM schedules WHERE namespace = ?1 AND updated_at = 0 AND schedule_id IN (SELECT value FROM json_each(?2))").bind(namespace, JSON.stringify(ids)).run();
}
