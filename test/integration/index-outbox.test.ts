import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { Outbox, OUTBOX_TABLE_SQL } from "../../src/objects/outbox.ts";
import { api, uid } from "./helpers.ts";

// A real D1 failure, not a mock: the executions table is renamed away, so every index write
// fails with "no such table" until it comes back.
async function breakIndex() {
  await env.DB.exec("ALTER TABLE executions RENAME TO executions_offline");
}
async function repairIndex() {
  await env.DB.exec("ALTER TABLE executions_offline RENAME TO executions");
}
async function indexRow(id: string) {
  return env.DB.prepare("SELECT status FROM executions WHERE namespace = 'default' AND execution_id = ?").bind(id).first<{ status: string }>();
}

describe("the D1 index converges after D1 write failures (outbox)", () => {
  it("keeps the change in the object's outbox and writes it once D1 is back", async () => {
    const id = uid("outbox");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id });
    await new Promise((r) => setTimeout(r, 50));
    expect(await indexRow(id)).toMatchObject({ status: "running" });

    await breakIndex();
    try {
      const t = await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "x" });
      // The object is the source of truth: the API answers from it while D1 is down.
      expect(t.body.status).toBe("terminated");
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await repairIndex();
    }
    expect(await indexRow(id)).toMatchObject({ status: "running" }); // stale until the retry

    // The failed write is retried from the outbox on the object's alarm (backoff from 1 s).
    const t0 = Date.now();
    clock.now = () => t0 + 60_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    expect(await indexRow(id)).toMatchObject({ status: "terminated" });
  });

  it("converges for schedules too, and a create that needs the index gets a retryable 503", async () => {
    const t0 = Date.UTC(2028, 0, 1);
    clock.now = () => t0;
    const r = await api("POST", "/v1/workflows/schedules", { workflow: uid("wf"), cron: "0 9 * * *", key: "k", schedule_id: uid("s") });
    const id = r.body.schedule_id;
    await new Promise((r2) => setTimeout(r2, 50));
    const status = async () => (await env.DB.prepare("SELECT status FROM schedules WHERE schedule_id = ?").bind(id).first<{ status: string }>())?.status;
    expect(await status()).toBe("active");
    await env.DB.exec("ALTER TABLE schedules RENAME TO schedules_offline");
    try {
      const refused = await api("POST", "/v1/workflows/schedules", { workflow: uid("wf"), cron: "0 9 * * *" });
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe("index_unavailable");
      expect((await api("POST", `/v1/workflows/schedules/${id}/pause`, { note: "maintenance" })).body.status).toBe("paused");
      await new Promise((r2) => setTimeout(r2, 50));
    } finally {
      await env.DB.exec("ALTER TABLE schedules_offline RENAME TO schedules");
    }
    expect(await status()).toBe("active");
    clock.now = () => t0 + 60_000;
    await runDurableObjectAlarm(env.SCHEDULES.getByName(`default/${id}`));
    expect(await status()).toBe("paused");
  });
});

describe("the outbox", () => {
  it("does not send an entry dropped while a flush that had already read it is under way", async () => {
    const sent = await runInDurableObject(env.SCHEDULES.getByName(`default/${uid("outbox-drop")}`), async (_obj, state) => {
      state.storage.sql.exec("DROP TABLE IF EXISTS outbox");
      state.storage.sql.exec(OUTBOX_TABLE_SQL);
      const outbox = new Outbox(state.storage.sql);
      outbox.put("a", 1, 0);
      outbox.put("b", 2, 0);
      const delivered: string[] = [];
      await outbox.flush(1, async (key) => {
        delivered.push(key);
        if (key === "a") outbox.drop("b");
      });
      return { delivered, left: outbox.entries().length };
    });
    expect(sent).toEqual({ delivered: ["a"], left: 0 });
  });

  it("a delivery that fails after its entry was replaced backs off the old payload only: the newer one is still due at once", async () => {
    const left = await runInDurableObject(env.SCHEDULES.getByName(`default/${uid("outbox-replaced")}`), async (_obj, state) => {
      state.storage.sql.exec("DROP TABLE IF EXISTS outbox");
      state.storage.sql.exec(OUTBOX_TABLE_SQL);
      const outbox = new Outbox(state.storage.sql);
      outbox.put("index", { v: 1 }, 0);
      await outbox.flush(1, async () => {
        outbox.put("index", { v: 2 }, 1); // a change while the old row was on its way
        throw new Error("D1 unreachable (test)");
      });
      return outbox.entries().map((e) => ({ payload: JSON.parse(e.payload), attempts: e.attempts, next_at: e.next_at }));
    });
    expect(left).toEqual([{ payload: { v: 2 }, attempts: 0, next_at: 1 }]);
  });
});
