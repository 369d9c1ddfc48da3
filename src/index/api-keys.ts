/** D1 access for the api_keys table (and nothing else). */
import type { KeyKind } from "@sundial/sdk/protocol";

export type { KeyKind };

export interface ApiKeyRow {
  key_id: string;
  namespace: string;
  kind: KeyKind;
  secret_hash: string;
  description: string;
  created_at: number;
  revoked_at: number | null;
}

export async function findKey(db: D1Database, keyId: string): Promise<ApiKeyRow | null> {
  return db.prepare("SELECT * FROM api_keys WHERE key_id = ?").bind(keyId).first<ApiKeyRow>();
}

export async function insertKey(db: D1Database, row: Omit<ApiKeyRow, "revoked_at">): Promise<void> {
  await db
    .prepare("INSERT INTO api_keys (key_id, namespace, kind, secret_hash, description, created_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(row.key_id, row.namespace, row.kind, row.secret_hash, row.description, row.created_at)
    .run();
}

/**
 * A namespace's keys ordered by (created_at, key_id), at most `limit`, after the key at `after`
 * (keyset pagination: stable while keys are created and revoked, as a revoked key stays listed).
 */
/** The page query, after a key or from the start: served in order by the api_keys_page index (migration 0006), no sort. */
export function keysPageSql(after: boolean): string {
  const cols = "SELECT key_id, namespace, kind, description, created_at, revoked_at FROM api_keys WHERE namespace = ?1";
  return after ? `${cols} AND (created_at > ?2 OR (created_at = ?2 AND key_id > ?3)) ORDER BY created_at, key_id LIMIT ?4` : `${cols} ORDER BY created_at, key_id LIMIT ?4`;
}

export async function listKeys(db: D1Database, namespace: string, after: { createdAt: number; keyId: string } | undefined, limit: number): Promise<Omit<ApiKeyRow, "secret_hash">[]> {
  const stmt = after ? db.prepare(keysPageSql(true)).bind(namespace, after.createdAt, after.keyId, limit) : db.prepare(keysPageSql(false)).bind(namespace, null, null, limit);
  return (await stmt.all<Omit<ApiKeyRow, "secret_hash">>()).results;
}

/** Marks a key revoked; returns false when no such key exists in the namespace. */
export async function revokeKey(db: D1Database, namespace: string, keyId: string, now: number): Promise<boolean> {
  const r = await db
    .prepare("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE namespace = ? AND key_id = ?")
    .bind(now, namespace, keyId)
    .run();
  return (r.meta.changes ?? 0) > 0;
}
