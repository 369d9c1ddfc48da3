import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLAIM_ABANDONED_AFTER_MS, deleteScheduleRow } from "../../src/index/schedules.ts";
import { ScheduleDelivery, type IndexEntry } from "../../src/objects/schedule-delivery.ts";
import { ScheduleObject } from "../../src/objects/schedule-object.ts";
import { holdFirstCall } from "./faults.ts";
import { api, uid } from "./helpers.ts";

// One (workflow, key), one schedule: a create claims the pair in the D1 index before its object
// exists, so a create of the same pair under another id cannot make a second object while the
// first object's own index row is still on its way (its outbox writes it after the change).

const indexRow = (id: string) => env.DB.prepare("SELECT schedule_id, updated_at FROM schedules WHERE namespace = 'default' AND schedule_id = ?").bind(id).first<{ schedule_id: string; updated_at: number }>();

/** Runs `fn` while schedule objects cannot write their index rows (D1 unreachable from them). */
async function withIndexDeliveryDown<T>(fn: () => Promise<T>): Promise<T> {
  const proto = ScheduleDelivery.prototype as unknown as { deliverIndex: () => Promise<void> };
  const original = proto.deliverIndex;
  proto.deliverIndex = async () => {
    throw new Error("D1 unreachable (test)");
  };
  try {
    return await fn();
  } finally {
    proto.deliverIndex = original;
  }
}

describe("(workflow, key) claims", () => {
  it("a create without schedule_id updates the schedule an explicit id created for the same pair, before its index row landed", async () => {
    const wf = uid("claim-wf");
    const explicit = uid("mine");
    await withIndexDeliveryDown(async () => {
      const first = await api("POST", "/v1/workflows/schedules", { schedule_id: explicit, workflow: wf, key: "user_1", cron: "0 8 * * *" });
      expect(first.status).toBe(201);
      const second = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "user_1", cron: "0 9 * * *" });
      expect(second.status, JSON.stringify(second.body)).toBe(200);
      expect(second.body.schedule_id).toBe(explicit);
      expect(second.body.spec.cron_expressions).toEqual(["0 9 * * *"]);
    });
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:user_1`)}`)).status).toBe(404);
  });

  it("a create naming another schedule_id for a pair already held is a 409 schedule_key_taken and writes nothing", async () => {
    const wf = uid("claim-wf");
    const held = uid("held");
    const other = uid("other");
    await withIndexDeliveryDown(async () => {
      expect((await api("POST", "/v1/workflows/schedules", { schedule_id: held, workflow: wf, key: "k", cron: "0 8 * * *" })).status).toBe(201);
      const r = await api("POST", "/v1/workflows/schedules", { schedule_id: other, workflow: wf, key: "k", cron: "0 9 * * *" });
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "schedule_key_taken", field: "schedule_id" });
    });
    expect((await api("GET", `/v1/workflows/schedules/${other}`)).status).toBe(404);
    expect(await indexRow(other)).toBeNull();
    // Once the holder's row is in the index, the same answer.
    expect((await api("POST", "/v1/workflows/schedules", { schedule_id: other, workflow: wf, key: "k", cron: "0 9 * * *" })).status).toBe(409);
  });

  it("a create whose schedule_id names a schedule of another (workflow, key) is a 409 schedule_exists and changes nothing", async () => {
    const wf = uid("claim-wf");
    const id = uid("taken-id");
    expect((await api("POST", "/v1/workflows/schedules", { schedule_id: id, workflow: wf, key: "k1", cron: "0 8 * * *" })).status).toBe(201);
    const r = await api("POST", "/v1/workflows/schedules", { schedule_id: id, workflow: wf, key: "k2", cron: "0 9 * * *" });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: "schedule_exists", field: "schedule_id" });
    const kept = await api("GET", `/v1/workflows/schedules/${id}`);
    expect(kept.body).toMatchObject({ key: "k1", spec: { cron_expressions: ["0 8 * * *"] } });
  });

  it("a create whose object fails drops its claim; the object's own row replaces a claim", async () => {
    const wf = uid("claim-wf");
    const proto = ScheduleObject.prototype as unknown as { upsert: (...a: unknown[]) => Promise<unknown> };
    const original = proto.upsert;
    proto.upsert = async () => {
      throw new Error("object unavailable (test)");
    };
    try {
      const r = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *" });
      expect(r.status).toBeGreaterThanOrEqual(500);
    } finally {
      proto.upsert = original;
    }
    expect(await indexRow(`${wf}:k`)).toBeNull();
    const ok = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *" });
    expect(ok.status).toBe(201);
    await expect.poll(async () => (await indexRow(`${wf}:k`))?.updated_at ?? 0).toBeGreaterThan(0);
  });

  it("a create refused for its input leaves no claim behind", async () => {
    const wf = uid("claim-wf");
    const reg = await api("POST", "/v1/workflows/workers/register", { identity: "claims", task_queue: "q-claims", workflows: [{ name: wf, input_schema: { type: "object", properties: { n: { type: "number" } }, required: ["n"] } }], activities: [] });
    expect(reg.status).toBe(200);
    const bad = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *", input: { n: "one" } });
    expect(bad.status).toBe(422);
    expect(bad.body.field).toBe("input.n");
    expect(await indexRow(`${wf}:k`)).toBeNull();
    const counts = await env.DB.prepare("SELECT COUNT(*) AS n FROM schedules WHERE namespace = 'default' AND workflow = ?").bind(wf).first<{ n: number }>();
    expect(counts?.n).toBe(0);
  });
});

describe("(workflow, key) claims of schedules declared in code", () => {
  const register = (wf: string, schedules: Record<string, unknown>[]) => api("POST", "/v1/workflows/workers/register", { identity: "claims", task_queue: "q-claims", workflows: [{ name: wf, schedules }], activities: [] });

  it("an id re-created with another key keeps its new key claimed when the old schedule's delete reaches the index after the claim", async () => {
    const wf = uid("claim-rekey");
    const id = `${wf}:code-0`;
    expect((await register(wf, [{ key: "alpha", interval_seconds: 3600 }])).status).toBe(200);
    await expect.poll(async () => (await indexRow(id))?.updated_at ?? 0).toBeGreaterThan(0);
    // The old object's delete fails on its first try (the registration's remove() waits for that
    // try only), and the new object's row cannot land yet.
    const proto = ScheduleDelivery.prototype as unknown as { deliverIndex: (ix: IndexEntry) => Promise<void> };
    const original = proto.deliverIndex;
    let deleteTries = 0;
    proto.deliverIndex = async function (this: unknown, ix: IndexEntry) {
      if ("delete" in ix) deleteTries++;
      throw new Error("D1 unreachable (test)");
    };
    try {
      const r = await register(wf, [{ key: "beta", interval_seconds: 3600 }]);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(deleteTries).toBe(1);
      // That delete, retried and arriving after the claim of the re-keyed id, is the old pair's:
      // it leaves the claim alone.
      await deleteScheduleRow(env.DB, "default", id, { workflow: wf, key: "alpha" });
      const row = await env.DB.prepare("SELECT key FROM schedules WHERE namespace = 'default' AND schedule_id = ?").bind(id).first<{ key: string }>();
      expect(row).toEqual({ key: "beta" });
      const create = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "beta", cron: "0 8 * * *" });
      expect(create.status, JSON.stringify(create.body)).toBe(409);
      expect(create.body).toMatchObject({ code: "schedule_key_taken", field: "key" });
    } finally {
      proto.deliverIndex = original;
    }
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:beta`)}`)).status).toBe(404);
  });

  it("a registration failing part-way releases the claims of the schedules it did not write", async () => {
    const wf = uid("claim-code-partway");
    const proto = ScheduleObject.prototype as unknown as { upsert: (def: { schedule_id: string }) => Promise<unknown> };
    const original = proto.upsert;
    proto.upsert = async function (this: unknown, def: { schedule_id: string }) {
      if (def.schedule_id === `${wf}:code-1`) throw new Error("object unavailable (test)");
      return original.call(this, def);
    };
    try {
      const r = await register(wf, [{ interval_seconds: 3600 }, { interval_seconds: 7200 }, { interval_seconds: 10800 }]);
      expect(r.status).toBeGreaterThanOrEqual(500);
    } finally {
      proto.upsert = original;
    }
    expect(await indexRow(`${wf}:code-1`)).toBeNull();
    expect(await indexRow(`${wf}:code-2`)).toBeNull();
    await expect.poll(async () => (await indexRow(`${wf}:code-0`))?.updated_at ?? 0).toBeGreaterThan(0);
    // The SDK's retry then writes the rest.
    expect((await register(wf, [{ interval_seconds: 3600 }, { interval_seconds: 7200 }, { interval_seconds: 10800 }])).status).toBe(200);
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:code-2`)}`)).status).toBe(200);
  });

  it("a claim left by a registration cut off before its object existed goes when a registration no longer declares it", async () => {
    const wf = uid("claim-code-orphan");
    expect((await register(wf, [{ interval_seconds: 3600 }])).status).toBe(200);
    const orphan = `${wf}:code-1`;
    await env.DB.prepare("INSERT INTO schedules (namespace, schedule_id, workflow, key, status, source, created_at, updated_at) VALUES ('default', ?, ?, 'code-1', 'active', 'code', ?, 0)").bind(orphan, wf, Date.now()).run();
    expect((await register(wf, [{ interval_seconds: 1800 }])).status).toBe(200);
    expect(await indexRow(orphan)).toBeNull();
    expect((await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "code-1", cron: "0 8 * * *" })).status).toBe(201);
  });
});

describe("a claim left behind by a create cut off before its object existed", () => {
  it("is not listed, a create of the same pair heals it, and DELETE of its id drops it once it is a minute old", async () => {
    const wf = uid("claim-wf");
    const orphan = `${wf}:k`;
    // What a create whose request was cancelled between its lookup batch and its object leaves.
    const claim = (at: number) => env.DB.prepare("INSERT INTO schedules (namespace, schedule_id, workflow, key, status, source, created_at, updated_at) VALUES ('default', ?, ?, 'k', 'active', 'api', ?, 0)").bind(orphan, wf, at).run();
    await claim(Date.now() - CLAIM_ABANDONED_AFTER_MS - 1_000);
    expect((await api("GET", `/v1/workflows/schedules?workflow=${wf}`)).body.schedules).toEqual([]);
    expect((await api("DELETE", `/v1/workflows/schedules/${encodeURIComponent(orphan)}`)).status).toBe(404);
    expect(await indexRow(orphan)).toBeNull();
    // A younger claim may be a create still on its way to its object: a DELETE leaves it (see below).
    await claim(Date.now());
    expect((await api("DELETE", `/v1/workflows/schedules/${encodeURIComponent(orphan)}`)).status).toBe(404);
    expect(await indexRow(orphan)).not.toBeNull();
    await env.DB.prepare("DELETE FROM schedules WHERE namespace = 'default' AND schedule_id = ?").bind(orphan).run();

    await env.DB.prepare("INSERT INTO schedules (namespace, schedule_id, workflow, key, status, source, created_at, updated_at) VALUES ('default', ?, ?, 'k', 'active', 'api', ?, 0)").bind(orphan, wf, Date.now()).run();
    const retried = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *" });
    expect(retried.status).toBe(201);
    expect(retried.body.schedule_id).toBe(orphan);
  });
  it("a DELETE of an id whose create is still on its way to its object leaves that create's claim: one pair never makes two schedules", async () => {
    const wf = uid("claim-wf");
    const idA = uid("claim-a");
    const idB = uid("claim-b");
    const hold = holdFirstCall(ScheduleObject.prototype, "upsert");
    let a;
    try {
      const createA = api("POST", "/v1/workflows/schedules", { schedule_id: idA, workflow: wf, key: "user_1", cron: "0 9 * * *" });
      await hold.reached; // A has claimed (wf, user_1); its object is not written yet
      expect((await api("DELETE", `/v1/workflows/schedules/${idA}`)).status).toBe(404);
      // The pair is still A's: a create under another id is refused, not a second schedule.
      const b = await api("POST", "/v1/workflows/schedules", { schedule_id: idB, workflow: wf, key: "user_1", cron: "0 10 * * *" });
      expect(b.status).toBe(409);
      expect(b.body.code).toBe("schedule_key_taken");
      hold.release();
      a = await createA;
    } finally {
      hold.release();
      hold.restore();
    }
    expect(a.status).toBe(201);
    expect((await api("GET", `/v1/workflows/schedules/${idB}`)).status).toBe(404);
    await expect.poll(async () => (await api("GET", `/v1/workflows/schedules?workflow=${wf}`)).body.schedules.map((s: { schedule_id: string }) => s.schedule_id)).toEqual([idA]);
  });
  it("the listed created_at is the schedule's own, not the claim's", async () => {
    const wf = uid("claim-wf");
    const id = `${wf}:k`;
    // A claim written long before the object exists (its create's clock, or a cut-off create).
    await env.DB.prepare("INSERT INTO schedules (namespace, schedule_id, workflow, key, status, source, created_at, updated_at) VALUES ('default', ?, ?, 'k', 'active', 'api', 1000, 0)").bind(id, wf).run();
    expect((await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *" })).status).toBe(201);
    await expect.poll(async () => (await indexRow(id))?.updated_at ?? 0).toBeGreaterThan(0);
    const described = (await api("GET", `/v1/workflows/schedules/${encodeURIComponent(id)}`)).body.created_at;
    expect((await api("GET", `/v1/workflows/schedules?workflow=${wf}`)).body.schedules.map((r: { created_at: string }) => r.created_at)).toEqual([described]);
  });
});
