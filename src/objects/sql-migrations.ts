/** One schema step of a Durable Object's SQLite database. */
export interface SqlMigration {
  id: number;
  description: string;
  sql: string;
}

/**
 * Applies pending migrations in order, all in one `transactionSync` (cloudflare/actors'
 * sql-schema-migrations pattern): the schema is data, never patched by catching errors.
 * `latest`, when given, is the schema migrations 1..`upTo` produce: a brand-new database (no
 * migration applied yet) is created from it in one step, and only later migrations run after it.
 * Returns true when the database was new (every table of it empty).
 */
export function applySqlMigrations(storage: DurableObjectStorage, migrations: readonly SqlMigration[], latest?: { sql: string; upTo: number }): boolean {
  return storage.transactionSync(() => {
    storage.sql.exec("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, description TEXT NOT NULL)");
    const done = new Set(storage.sql.exec<{ id: number }>("SELECT id FROM _migrations").toArray().map((r) => r.id));
    const fresh = done.size === 0;
    if (latest && fresh) {
      storage.sql.exec(latest.sql);
      const folded = migrations.filter((m) => m.id <= latest.upTo);
      if (folded.length > 0) {
        storage.sql.exec(`INSERT INTO _migrations (id, description) VALUES ${folded.map(() => "(?, ?)").join(", ")}`, ...folded.flatMap((m) => [m.id, m.description]));
      }
      for (const m of folded) done.add(m.id);
    }
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      storage.sql.exec(m.sql);
      storage.sql.exec("INSERT INTO _migrations (id, description) VALUES (?, ?)", m.id, m.description);
    }
    return fresh;
  });
}

/** What the stores use of `storage.sql`. */
export type Sql = Pick<SqlStorage, "exec">;

/**
 * `storage.sql` whose first statement applies the migrations first (see {@link applySqlMigrations};
 * `onFresh` runs when the database was new). A new object's schema is then written in the same
 * implicit transaction as its first request's own writes, one storage commit, where creating it in
 * the constructor (blockConcurrencyWhile) commits it alone before the request: one commit fewer
 * per new run and per new schedule. Every statement goes through here, so none can run before the
 * schema exists. `onFresh` (the stores' `startsEmpty`) runs inside whichever statement comes first:
 * a store method that changes a table forgets its copy of it after its statement, never before,
 * or that first statement would leave the copy empty while the table holds the row.
 */
export function migratedOnFirstUse(storage: DurableObjectStorage, migrations: readonly SqlMigration[], latest?: { sql: string; upTo: number }, onFresh: () => void = () => {}): Sql {
  let ready = false;
  return {
    exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): SqlStorageCursor<T> {
      if (!ready) {
        const fresh = applySqlMigrations(storage, migrations, latest);
        ready = true;
        if (fresh) onFresh();
      }
      return storage.sql.exec<T>(query, ...bindings);
    },
  };
}
