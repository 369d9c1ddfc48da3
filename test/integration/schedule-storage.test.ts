import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { applySqlMigrations } from "../../src/objects/sql-migrations.ts";
import { SCHEDULE_COLS, SCHEDULE_MIGRATIONS, SCHEDULE_SCHEMA, ScheduleStore } from "../../src/objects/schedule-store.ts";
import { uid } from "./helpers.ts";
import { dropAllTables, schemaOf, sundialTables } from "./sql-schema.ts";
import { createSchedule, scheduleObject } from "./schedule-helpers.ts";

// ScheduleStore.put answers later reads from memory, built from its own list of the schedule
// table's columns: that list must follow the migrations, or a new column would read as missing.

describe("ScheduleObject storage", () => {
  it("creates a new object's schema in one step with its first request, identical to applying every migration in order", async () => {
    const id = uid("schema");
    // Nothing is written before the first request: the schema shares that request's commit.
    expect(await runInDurableObject(scheduleObject(id), (_obj, state) => sundialTables(state.storage.sql))).toEqual([]);
    await createSchedule({ schedule_id: id, workflow: uid("wf"), cron: "0 9 * * *" });
    await runInDurableObject(scheduleObject(id), async (_obj, state) => {
      const sql = state.storage.sql;
      const fresh = schemaOf(sql);
      expect(SCHEDULE_SCHEMA.upTo).toBe(SCHEDULE_MIGRATIONS.at(-1)!.id);
      dropAllTables(sql);
      expect(applySqlMigrations(state.storage, SCHEDULE_MIGRATIONS)).toBe(true);
      expect(schemaOf(sql)).toEqual(fresh);
      // An existing database is not new: nothing runs again.
      expect(applySqlMigrations(state.storage, SCHEDULE_MIGRATIONS, SCHEDULE_SCHEMA)).toBe(false);
      expect(schemaOf(sql)).toEqual(fresh);
    });
  });

  it("keeps its in-memory row identical to what the table holds", async () => {
    const s = await createSchedule({ workflow: uid("wf"), key: "k", cron: "0 8 * * *", timezone: "Europe/Paris", input: { v: [1, "two"] } });
    await runInDurableObject(scheduleObject(s.schedule_id), async (_obj, state) => {
      const sql = state.storage.sql;
      const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('schedule') ORDER BY cid").toArray().map((c) => c.name);
      expect(columns).toEqual([...SCHEDULE_COLS]);
      // Write the row back through put (the cache), then read it fresh from SQLite with a new store.
      const cached = new ScheduleStore(sql);
      const row = cached.get()!;
      cached.put(row);
      expect(cached.get()).toEqual(new ScheduleStore(sql).get());
      expect(cached.get()).toEqual(row);
    });
  });
});
