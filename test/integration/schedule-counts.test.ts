import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { LIMITS } from "../../src/core/limits.ts";
import { countSchedules, upsertSchedule, deleteScheduleRow, type ScheduleIndexRow } from "../../src/index/schedules.ts";
import { api, DEV_KEY, uid } from "./helpers.ts";
import { eventually } from "./schedule-helpers.ts";

/** An app key of a namespace of its own, so counts start at zero and no other test moves them. */
async function freshNamespace(): Promise<{ ns: string; key: string }> {
  const ns = uid("ns-count");
  const r = await api("POST", "/v1/admin/keys", { kind: "app", namespace: ns, description: "schedule counts" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { ns, key: r.body.key as string };
}

const row = (namespace: string, schedule_id: string, updated_at: number): ScheduleIndexRow => ({
  namespace,
  schedule_id,
  workflow: "wf",
  key: schedule_id,
  status: "active",
  source: "api",
  next_fire_at: null,
  last_fire_at: null,
  next_run_at: null,
  current_repeat: 0,
  current_retry: 0,
  created_at: 1,
  updated_at,
});

const trueCount = async (ns: string) => (await env.DB.prepare("SELECT COUNT(*) AS n FROM schedules WHERE namespace = ?").bind(ns).first<{ n: number }>())?.n;

describe("namespace_schedule_counts (triggers of migration 0003)", () => {
  it("follows inserts, upserts of an existing row (no double count) and deletes, per namespace", async () => {
    const a = uid("ns-trg-a");
    const b = uid("ns-trg-b");
    expect(await countSchedules(env.DB, a)).toBe(0);
    await upsertSchedule(env.DB, row(a, "s1", 1));
    await upsertSchedule(env.DB, row(a, "s2", 1));
    await upsertSchedule(env.DB, row(b, "s1", 1));
    expect([await countSchedules(env.DB, a), await countSchedules(env.DB, b)]).toEqual([2, 1]);
    // The write-behind re-sends rows: both the applied and the stale (ignored) update leave the count.
    await upsertSchedule(env.DB, { ...row(a, "s1", 5), status: "paused" });
    await upsertSchedule(env.DB, row(a, "s1", 2));
    expect(await countSchedules(env.DB, a)).toBe(2);
    await deleteScheduleRow(env.DB, a, "s1");
    await deleteScheduleRow(env.DB, a, "s1"); // a delete delivered twice
    await deleteScheduleRow(env.DB, a, "missing");
    expect([await countSchedules(env.DB, a), await countSchedules(env.DB, b)]).toEqual([1, 1]);
    expect(await countSchedules(env.DB, a)).toBe(await trueCount(a));
  });

  it("follows creates, upserts and deletes through the API", async () => {
    const { ns, key } = await freshNamespace();
    const wf = uid("count-wf");
    for (const k of ["u1", "u2", "u3"]) {
      expect((await api("POST", "/v1/workflows/schedules", { workflow: wf, key: k, cron: "0 8 * * *" }, key)).status).toBe(201);
    }
    await eventually(async () => expect(await countSchedules(env.DB, ns)).toBe(3));
    const up = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "u2", cron: "0 9 * * *" }, key);
    expect(up.status).toBe(200);
    // Wait for the upsert's index write to land, then check it did not count the schedule again.
    await eventually(async () => {
      const l = await api("GET", `/v1/workflows/schedules?workflow=${wf}&key=u2`, undefined, key);
      expect(l.body.schedules[0]?.next_fire_at).toMatch(/T09:00:00/);
    });
    expect(await countSchedules(env.DB, ns)).toBe(3);
    expect((await api("DELETE", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:u1`)}`, undefined, key)).status).toBe(204);
    await eventually(async () => expect(await countSchedules(env.DB, ns)).toBe(2));
    expect(await trueCount(ns)).toBe(2);
  });

  it("the create path's limit check reads the counter: a full namespace refuses new schedules, not upserts", async () => {
    const { ns, key } = await freshNamespace();
    const wf = uid("limit-wf");
    expect((await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "kept", cron: "0 8 * * *" }, key)).status).toBe(201);
    await eventually(async () => expect(await countSchedules(env.DB, ns)).toBe(1));
    // One real row, but the counter says the namespace is full: only the counter can refuse this.
    await env.DB.prepare("UPDATE namespace_schedule_counts SET n = ? WHERE namespace = ?").bind(LIMITS.schedulesPerNamespace, ns).run();
    const refused = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "new", cron: "0 8 * * *" }, key);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: "limit_exceeded", field: "schedule_id" });
    expect(refused.body.detail).toContain(String(LIMITS.schedulesPerNamespace));
    const upsert = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "kept", cron: "0 9 * * *" }, key);
    expect(upsert.status).toBe(200);
    await env.DB.prepare("UPDATE namespace_schedule_counts SET n = ? WHERE namespace = ?").bind(LIMITS.schedulesPerNamespace - 1, ns).run();
    expect((await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "new", cron: "0 8 * * *" }, key)).status).toBe(201);
  });

  it("still validates the input against the registered schema (422 with the field path)", async () => {
    const wf = uid("typed-wf");
    const reg = await api("POST", "/v1/workflows/workers/register", {
      identity: "counts-test",
      task_queue: uid("q-counts"),
      workflows: [{ name: wf, input_schema: { type: "object", properties: { user: { type: "string" } }, required: ["user"] } }],
      activities: [],
    });
    expect(reg.status, JSON.stringify(reg.body)).toBeLessThan(300);
    const bad = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *", input: { user: 7 } });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: "invalid_input", field: "input.user" });
    expect((await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *", input: { user: "ada" } })).status).toBe(201);
  });
});

describe("SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE", () => {
  /** The Worker's own fetch handler with this deployment's vars changed. */
  async function createWith(vars: Record<string, string>, key: string, body: Record<string, unknown>) {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("http://sundial.test/v1/workflows/schedules", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(body) }),
      { ...env, ...vars },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("a configured limit refuses the schedule past it with 422 limit_exceeded naming schedule_id", async () => {
    const { ns, key } = await freshNamespace();
    const wf = uid("cap-wf");
    const vars = { SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE: "2" };
    for (const k of ["a", "b"]) expect((await createWith(vars, key, { workflow: wf, key: k, cron: "0 8 * * *" })).status).toBe(201);
    await eventually(async () => expect(await countSchedules(env.DB, ns)).toBe(2));
    const third = await createWith(vars, key, { workflow: wf, key: "c", cron: "0 8 * * *" });
    expect(third.status).toBe(422);
    expect(third.body).toMatchObject({ code: "limit_exceeded", field: "schedule_id" });
    expect(third.body.detail).toContain("already has 2 schedules");
    // Upserting one it holds is no new schedule; a larger limit, or the default, lets the third in.
    expect((await createWith(vars, key, { workflow: wf, key: "a", cron: "0 9 * * *" })).status).toBe(200);
    expect((await createWith({ SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE: "3" }, key, { workflow: wf, key: "c", cron: "0 8 * * *" })).status).toBe(201);
    await eventually(async () => expect(await countSchedules(env.DB, ns)).toBe(3));
    expect((await createWith(vars, DEV_KEY, { workflow: uid("other-ns-wf"), key: "x", cron: "0 8 * * *" })).status).toBe(201);
  });

  it("a taken explicit schedule_id is a 409 schedule_exists also when the namespace is full (the limit is for new schedules)", async () => {
    const { key } = await freshNamespace();
    const wf = uid("cap-taken-wf");
    const vars = { SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE: "2" };
    for (const k of ["a", "b"]) expect((await createWith(vars, key, { workflow: wf, key: k, cron: "0 8 * * *" })).status).toBe(201);
    const taken = await createWith(vars, key, { workflow: wf, key: "c", schedule_id: `${wf}:a`, cron: "0 8 * * *" });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: "schedule_exists", field: "schedule_id" });
    // A new id at the limit is still the limit's 422.
    const fresh = await createWith(vars, key, { workflow: wf, key: "c", schedule_id: uid("new-id"), cron: "0 8 * * *" });
    expect(fresh.status).toBe(422);
    expect(fresh.body).toMatchObject({ code: "limit_exceeded", field: "schedule_id" });
  });

  it("a malformed value is the default (never a 500)", async () => {
    const { key } = await freshNamespace();
    const r = await createWith({ SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE: "lots" }, key, { workflow: uid("bad-var-wf"), key: "a", cron: "0 8 * * *" });
    expect(r.status).toBe(201);
  });
});
