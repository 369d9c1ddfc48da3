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

describe("delivered index entries are deleted with the object's next write (one storage commit fewer each)", () => {
  const rows = (state: DurableObjectState) => state.storage.sql.exec<{ key: string }>("SELECT key FROM outbox ORDER BY key").toArray().map((r) => r.key);
  const undelivered = (obj: unknown) => (obj as { store: { outbox: Outbox } }).store.outbox.entries().map((e) => e.key);

  it("an execution: the start's index row goes with the first lease; the close's stays delivered on disk, and an evicted object sends it again", async () => {
    const id = uid("outbox-settle");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: id });
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    await new Promise((r) => setTimeout(r, 50));
    expect(await indexRow(id)).toMatchObject({ status: "running" });
    expect(await runInDurableObject(stub, async (obj, state) => ({ disk: rows(state), entries: undelivered(obj) }))).toEqual({ disk: ["index"], entries: [] });
    // The next change (a poll leases the first workflow task) deletes it in its own write.
    const task = await api("POST", "/v1/workflows/tasks/poll", { task_queue: id, kind: "workflow", wait_seconds: 1, identity: "t" });
    expect(task.status).toBe(200);
    expect(await runInDurableObject(stub, async (_obj, state) => rows(state))).toEqual([]);
    const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: [{ type: "complete_workflow", result: 1 }] });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(await indexRow(id)).toMatchObject({ status: "completed" });
    expect(await runInDurableObject(stub, async (obj, state) => ({ disk: rows(state), entries: undelivered(obj) }))).toEqual({ disk: ["index"], entries: [] });
    // Read back by a store that knows nothing (the object was evicted): sent again on the alarm, the same row.
    await env.DB.prepare("UPDATE executions SET status = 'running' WHERE namespace = 'default' AND execution_id = ?").bind(id).run();
    const resent = await runInDurableObject(stub, async (_obj, state) => {
      const outbox = new Outbox(state.storage.sql);
      const sent: string[] = [];
      await outbox.flush(clock.now(), async (key, payload) => {
        sent.push(key);
        await env.DB.prepare("UPDATE executions SET status = ? WHERE namespace = 'default' AND execution_id = ?").bind((payload as { status: string }).status, id).run();
      });
      return { sent, disk: rows(state) };
    });
    expect(resent).toEqual({ sent: ["index"], disk: [] });
    expect(await indexRow(id)).toMatchObject({ status: "completed" });
  });

  it("a schedule: the create's index row goes with the next change; a delete leaves nothing behind", async () => {
    const sid = uid("outbox-settle-s");
    const r = await api("POST", "/v1/workflows/schedules", { schedule_id: sid, workflow: uid("wf"), cron: "0 9 * * *", key: "k" });
    expect(r.status).toBe(201);
    const stub = env.SCHEDULES.getByName(`default/${sid}`);
    await new Promise((r2) => setTimeout(r2, 50));
    expect(await runInDurableObject(stub, async (obj, state) => ({ disk: rows(state), entries: undelivered(obj) }))).toEqual({ disk: ["index"], entries: [] });
    expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, { note: "n" })).status).toBe(200);
    await new Promise((r2) => setTimeout(r2, 50));
    // The pause's write deleted the create's row; its own index row is delivered and waits in turn.
    expect(await runInDurableObject(stub, async (obj, state) => ({ disk: rows(state), entries: undelivered(obj) }))).toEqual({ disk: ["index"], entries: [] });
    expect((await api("DELETE", `/v1/workflows/schedules/${sid}`)).status).toBe(204);
    expect(await runInDurableObject(stub, async (_obj, state) => rows(state))).toEqual([]);
  });
});

describe("a withdrawn prepared run whose index delete was retried by the alarm", () => {
  it("leaves no outbox row behind once the retry lands", async () => {
    const id = uid("outbox-withdrawn");
    const stub = env.EXECUTIONS.getByName(`default/${id}`);
    const t0 = Date.UTC(2028, 5, 1);
    clock.now = () => t0;
    const args = { namespace: "default", execution_id: id, workflow: "w", input: null, task_queue: id, execution_timeout: 3600, id_reuse_policy: "use_existing" as const, schedule: { schedule_id: "s", key: "global", timestamp: new Date(t0 + 60_000).toISOString(), actual_timestamp: new Date(t0 + 60_000).toISOString(), last_timestamp: null, timezone: "UTC", upcoming: [] }, callback: null, start_at: t0 + 60_000 };
    const started = await runInDurableObject(stub, async (obj) => (obj as unknown as { startPrepared(a: typeof args): Promise<{ ok: boolean }> }).startPrepared(args));
    expect(started.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    await breakIndex();
    try {
      const r = await runInDurableObject(stub, async (obj) => (obj as unknown as { discardPrepared(): Promise<{ discarded: boolean }> }).discardPrepared());
      expect(r.discarded).toBe(true);
    } finally {
      await repairIndex();
    }
    const rows = () => runInDurableObject(stub, async (_obj, state) => state.storage.sql.exec<{ key: string }>("SELECT key FROM outbox").toArray().map((x) => x.key));
    expect(await rows()).toEqual(["index"]); // the delete failed: it waits for the alarm
    clock.now = () => t0 + 60_000;
    await runDurableObjectAlarm(stub);
    expect(await indexRow(id)).toBeNull();
    expect(await rows()).toEqual([]);
  });
});
