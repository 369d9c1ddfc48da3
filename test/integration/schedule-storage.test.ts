import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SCHEDULE_COLS, ScheduleStore } from "../../src/objects/schedule-store.ts";
import { uid } from "./helpers.ts";
import { createSchedule, scheduleObject } from "./schedule-helpers.ts";

// ScheduleStore.put answers later reads from memory, built from its own list of the schedule
// table's columns: that list must follow the migrations, or a new column would read as missing.

describe("ScheduleObject storage", () => {
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
