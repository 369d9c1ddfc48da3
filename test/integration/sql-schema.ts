/** Every table and index of an object's database with its columns (name, type, not null, default, key) and the migrations recorded. */
export function schemaOf(sql: SqlStorage): unknown {
  const objects = sql.exec<{ type: string; name: string; tbl_name: string }>("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name").toArray();
  return {
    objects,
    columns: objects.filter((o) => o.type === "table").map((t) => ({ table: t.name, columns: sql.exec("SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)", t.name).toArray() })),
    migrations: sql.exec("SELECT id, description FROM _migrations ORDER BY id").toArray(),
  };
}

/** Drops every table of an object's database (to replay its migrations one by one, as an object created before its one-step schema did). */
export function dropAllTables(sql: SqlStorage): void {
  const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
  for (const t of tables) sql.exec(`DROP TABLE ${t.name}`);
}

/** The tables of an object's database besides SQLite's, workerd's and miniflare's own. */
export function sundialTables(sql: SqlStorage): string[] {
  return sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE '__miniflare_%' ORDER BY name")
    .toArray()
    .map((r) => r.name);
}
