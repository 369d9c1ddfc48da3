/** One schema step of a Durable Object's SQLite database. */
export interface SqlMigration {
  id: number;
  description: string;
  sql: string;
}

/**
 * Applies pending migrations in order, all in one `transactionSync` (cloudflare/actors'
 * sql-schema-migrations pattern): the schema is data, never patched by catching errors.
 */
export function applySqlMigrations(storage: DurableObjectStorage, migrations: readonly SqlMigration[]): void {
  storage.transactionSync(() => {
    storage.sql.exec("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, description TEXT NOT NULL)");
    const done = new Set(storage.sql.exec<{ id: number }>("SELECT id FROM _migrations").toArray().map((r) => r.id));
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      storage.sql.exec(m.sql);
      storage.sql.exec("INSERT INTO _migrations (id, description) VALUES (?, ?)", m.id, m.description);
    }
  });
}
