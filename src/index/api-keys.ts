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

export async function listKeys(db: D1Database, namespace: string): Promise<Omit<ApiKeyRow, "secret_hash">[]> {
  const r = await db
    .prepare("SELECT key_id, namespace, kind, description, created_at, revoked_at FROM api_keys WHERE namespace = ? ORDER BY created_at, key_id")
    .bind(namespace)
    .all<Omit<ApiKeyRow, "secret_hash">>();
  return r.results;
}

/** Marks a key revoked; returns false when no such key exists in the namespace. */
export async function revokeKey(db: D1Database, namespace: string, keyId: string, now: number): Promise<boolean> {
  const r = await db
    .prepare("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE namespace = ? AND key_id = ?")
    .bind(now, namespace, keyId)
    .run();
  return (r.meta.changes ?? 0) > 0;
}
