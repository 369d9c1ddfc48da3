import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { applySqlMigrations } from "../../src/objects/sql-migrations.ts";
import { EXECUTION_MIGRATIONS, EXECUTION_SCHEMA } from "../../src/objects/execution-schema.ts";
import { OUTBOX_BACKSTOP_MS } from "../../src/objects/outbox.ts";
import { api, uid } from "./helpers.ts";
import { dropAllTables, schemaOf, sundialTables } from "./sql-schema.ts";

// How an ExecutionObject uses its storage: the schema a new object creates in one step, and an
// alarm that is only ever moved earlier.

const stub = (id: string) => env.EXECUTIONS.getByName(`default/${id}`);

describe("ExecutionObject storage", () => {
  it("creates a new object's schema in one step with its first request, identical to applying every migration in order", async () => {
    const id = uid("schema");
    // Nothing is written before the first request: the schema shares that request's commit.
    expect(await runInDurableObject(stub(id), (_instance, state) => sundialTables(state.storage.sql))).toEqual([]);
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: uid("q") })).status).toBe(201);
    await runInDurableObject(stub(id), async (_instance, state) => {
      const sql = state.storage.sql;
      const fresh = schemaOf(sql);
      expect(EXECUTION_SCHEMA.upTo).toBe(EXECUTION_MIGRATIONS.at(-1)!.id);
      // Start over and replay the migrations one by one, as an object created before the one-step schema did.
      dropAllTables(sql);
      applySqlMigrations(state.storage, EXECUTION_MIGRATIONS);
      expect(schemaOf(sql)).toEqual(fresh);
    });
  });

  it("moves the alarm only earlier: changes that push deadlines out write no alarm, an early alarm re-arms", async () => {
    const id = uid("alarm");
    const queue = uid("q");
    const t0 = Date.now();
    clock.now = () => t0;
    const alarmAt = () => runInDurableObject(stub(id), (_i, state) => state.storage.getAlarm());
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
    // The index entry is being delivered: the alarm only backs that delivery up.
    expect(await alarmAt()).toBe(t0 + OUTBOX_BACKSTOP_MS);
    const wt = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "w", wait_seconds: 1 });
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null }] });
    // Workflow task ack timeout, then the activity's dispatch deadline: both later, so not written.
    expect(await alarmAt()).toBe(t0 + OUTBOX_BACKSTOP_MS);
    const before = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events;
    clock.now = () => t0 + OUTBOX_BACKSTOP_MS;
    expect(await runDurableObjectAlarm(stub(id))).toBe(true);
    // Nothing was due: history unchanged, and the alarm is re-armed at the activity's dispatch deadline.
    expect((await api("GET", `/v1/workflows/executions/${id}/history`)).body.events).toEqual(before);
    expect(await alarmAt()).toBe(t0 + 60_000);
    const at = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "activity", identity: "w", wait_seconds: 1 });
    // Leased at t0 + 5 s: its ack deadline (t0 + 10 s) is earlier, so the alarm moves.
    expect(await alarmAt()).toBe(t0 + OUTBOX_BACKSTOP_MS + 5_000);
    await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: 1 });
    const wt2 = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "w", wait_seconds: 1 });
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2.body.task_token, commands: [{ type: "complete_workflow", result: 1 }] });
    // Closed, and the index entry delivered: nothing is left to wake up for.
    await new Promise((r) => setTimeout(r, 100));
    expect(await alarmAt()).toBeNull();
  });
});
