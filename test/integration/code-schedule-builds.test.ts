import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CONFLICT_WINDOW_MS, parseCodeSchedules } from "../../src/api/code-schedules.ts";
import { hash32 } from "../../src/core/jitter.ts";
import { api, uid } from "./helpers.ts";
import { describeSchedule, holdSecondRemoval, setNow, T } from "./schedule-helpers.ts";

// Workers of two builds: a workflow's definition is its declared schedules, its input schema, the
// worker's task queue and the workflow's execution timeout. Another build's different definition
// registered within the conflict window is kept back as a whole, so neither the schedules nor the
// workflow type flap between builds at every refresh. README, "Schedules declared in code".

interface Decl {
  queue?: string;
  schema?: Record<string, unknown>;
  timeout?: number;
  schedules?: Record<string, unknown>[];
}

/** `build` null: a worker without a buildId. */
function register(wf: string, build: string | null, d: Decl) {
  return api("POST", "/v1/workflows/workers/register", {
    identity: `worker-${build ?? "unnamed"}`,
    task_queue: d.queue ?? "builds-q",
    ...(build === null ? {} : { build_id: build }),
    workflows: [{ name: wf, ...(d.schema ? { input_schema: d.schema } : {}), ...(d.timeout ? { execution_timeout: d.timeout } : {}), schedules: d.schedules ?? [] }],
    activities: [],
  });
}

async function typeOf(wf: string) {
  const r = await api("GET", `/v1/workflows/types/${encodeURIComponent(wf)}`);
  expect(r.status).toBe(200);
  return r.body;
}

const v1Schema = { type: "object", properties: { n: { type: "number" } }, required: ["n"] };
const v2Schema = { type: "object", properties: { n: { type: "number" }, tag: { type: "string" } }, required: ["n", "tag"] };

describe("registrations from workers of different builds", () => {
  it("one kept back as a conflict leaves the workflow type alone: input schema, task queue, timeout and build stay the current build's", async () => {
    const wf = uid("builds-type");
    const t0 = T("2027-06-03T00:00:00.000Z");
    const every = (s: number) => [{ interval_seconds: s, input: { n: 1, tag: "a" } }];
    setNow(t0);
    expect((await register(wf, "v1", { queue: "q-v1", schema: v1Schema, timeout: 3600, schedules: every(3600) })).body.workflows[0].applied).toBe(true);
    setNow(t0 + 60_000);
    const kept = await register(wf, "v2", { queue: "q-v2", schema: v2Schema, timeout: 7200, schedules: every(600) });
    expect(kept.body.workflows?.[0]?.applied, JSON.stringify(kept.body)).toBe(false);
    const type = await typeOf(wf);
    expect(type).toMatchObject({ task_queue: "q-v1", input_schema: v1Schema, execution_timeout: 3600, build_id: "v1", identity: "worker-v1" });
    expect(type.updated_at).toBe(new Date(t0).toISOString());
    // Starts are still checked against v1's schema: v2's required `tag` is not asked for.
    const start = await api("POST", "/v1/workflows/executions", { workflow: wf, input: { n: 2 } });
    expect(start.status, JSON.stringify(start.body)).toBeLessThan(300);
  });

  it("two builds declaring the same schedules but different input schemas are a conflict, not a schema that flips at every refresh", async () => {
    const wf = uid("builds-schema");
    const t0 = T("2027-06-04T00:00:00.000Z");
    const M = 60_000;
    const schedules = [{ cron_expressions: ["0 8 * * *"], input: { n: 1, tag: "a" } }];
    setNow(t0);
    expect((await register(wf, "v1", { schema: v1Schema, schedules })).body.workflows[0].applied).toBe(true);
    // Both builds keep running and register every 5 minutes: v1's schema stays, each time.
    for (let m = 2.5; m <= 20; m += 2.5) {
      setNow(t0 + m * M);
      const build = m % 5 === 0 ? "v1" : "v2";
      const r = await register(wf, build, { schema: build === "v1" ? v1Schema : v2Schema, schedules });
      expect(r.body.workflows[0].applied, `${build} at ${m} min`).toBe(build === "v1");
      if (build === "v2") expect(r.body.conflicts[0].message).toContain("build v2 declares a different definition");
      expect((await typeOf(wf)).input_schema).toEqual(v1Schema);
    }
    expect((await describeSchedule(`${wf}:code-0`)).version).toBe(1);
    // v1's workers stopped after t0 + 20 min: once they have been silent for the window, v2's schema is applied.
    setNow(t0 + 20 * M + CONFLICT_WINDOW_MS + 1);
    expect((await register(wf, "v2", { schema: v2Schema, schedules })).body.workflows[0].applied).toBe(true);
    expect(await typeOf(wf)).toMatchObject({ input_schema: v2Schema, build_id: "v2" });
  });

  it("a workflow without schedules has a definition too: another build's task queue or timeout is kept back within the window", async () => {
    const wf = uid("builds-plain");
    const t0 = T("2027-06-05T00:00:00.000Z");
    setNow(t0);
    expect((await register(wf, "v1", { queue: "plain-q1", timeout: 600 })).body.workflows[0].applied).toBe(true);
    setNow(t0 + 60_000);
    expect((await register(wf, "v2", { queue: "plain-q2", timeout: 600 })).body.workflows[0].applied).toBe(false);
    expect((await register(wf, "v2", { queue: "plain-q1", timeout: 900 })).body.workflows[0].applied).toBe(false);
    expect(await typeOf(wf)).toMatchObject({ task_queue: "plain-q1", execution_timeout: 600, build_id: "v1" });
    // The same definition from another build is no conflict: it is applied, and records that build.
    expect((await register(wf, "v2", { queue: "plain-q1", timeout: 600 })).body).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    expect((await typeOf(wf)).build_id).toBe("v2");
  });

  it("a worker without a buildId is a build of its own: against a named build's different definition it is kept back, and keeps its own", async () => {
    const wf = uid("builds-unnamed");
    const t0 = T("2027-06-05T12:00:00.000Z");
    const M = 60_000;
    setNow(t0);
    expect((await register(wf, null, { schedules: [{ interval_seconds: 3600 }] })).body.workflows[0].applied).toBe(true);
    // A rolling deploy that starts naming builds: the old unnamed workers and the new v2 workers
    // both register every 5 minutes, and the schedule stays the unnamed build's.
    for (let m = 2.5; m <= 10; m += 2.5) {
      setNow(t0 + m * M);
      const build = m % 5 === 0 ? null : "v2";
      const r = await register(wf, build, { schedules: [{ interval_seconds: build === null ? 3600 : 600 }] });
      expect(r.body.workflows[0].applied, `${build} at ${m} min`).toBe(build === null);
      if (build !== null) expect(r.body.conflicts[0].message).toContain("build v2 declares a different definition");
      expect((await describeSchedule(`${wf}:code-0`)).spec.intervals).toEqual([{ every: 3600, offset: 0 }]);
    }
    expect(await typeOf(wf)).toMatchObject({ build_id: null });
    // The other way round: v2 in charge once the unnamed workers are gone, a stale unnamed one is kept back.
    setNow(t0 + 10 * M + CONFLICT_WINDOW_MS + 1);
    expect((await register(wf, "v2", { schedules: [{ interval_seconds: 600 }] })).body.workflows[0].applied).toBe(true);
    setNow(t0 + 10 * M + CONFLICT_WINDOW_MS + M);
    const stale = await register(wf, null, { schedules: [{ interval_seconds: 3600 }] });
    expect(stale.body.workflows[0].applied).toBe(false);
    expect(stale.body.conflicts[0].message).toContain("a build without a buildId declares a different definition");
    expect(stale.body.conflicts[0].message).toContain("than build v2");
    expect((await describeSchedule(`${wf}:code-0`)).spec.intervals).toEqual([{ every: 600, offset: 0 }]);
  });

  it("a build changing its own input schema applies it at once, and its unchanged schedules keep their state", async () => {
    const wf = uid("builds-same");
    const t0 = T("2027-06-06T00:00:00.000Z");
    const schedules = [{ cron_expressions: ["0 8 * * *"], input: { n: 1, tag: "a" } }];
    setNow(t0);
    expect((await register(wf, "v1", { schema: v1Schema, schedules })).body.workflows[0].applied).toBe(true);
    const before = await describeSchedule(`${wf}:code-0`);
    setNow(t0 + 60_000);
    expect((await register(wf, "v1", { schema: v2Schema, schedules })).body).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    expect((await typeOf(wf)).input_schema).toEqual(v2Schema);
    const after = await describeSchedule(`${wf}:code-0`);
    expect(after.next_fire_times).toEqual(before.next_fire_times);
    expect(after.status).toBe("active");
  });

  it("a build that no longer declares an input schema drops it: starts are no longer checked against the old one", async () => {
    const wf = uid("builds-noschema");
    const t0 = T("2027-06-06T12:00:00.000Z");
    setNow(t0);
    expect((await register(wf, "v1", { schema: v1Schema })).body.workflows[0].applied).toBe(true);
    expect((await api("POST", "/v1/workflows/executions", { workflow: wf, input: { tag: "x" } })).status).toBe(422);
    setNow(t0 + 60_000);
    expect((await register(wf, "v1", {})).body).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    expect((await typeOf(wf)).input_schema).toBeNull();
    const start = await api("POST", "/v1/workflows/executions", { workflow: wf, input: { tag: "x" } });
    expect(start.status, JSON.stringify(start.body)).toBeLessThan(300);
  });

  it("D1 failing as a new build's registration is recorded: a stale old build registering before the retry is kept back, not taken as unchanged", async () => {
    const wf = uid("builds-d1");
    const t0 = T("2027-06-07T00:00:00.000Z");
    const id = `${wf}:code-0`;
    setNow(t0);
    expect((await register(wf, "v1", { schedules: [{ interval_seconds: 3600 }] })).body.workflows[0].applied).toBe(true);
    // v1's workers stopped; a v2 worker comes up after the window, and D1 fails as its registration is recorded.
    const trigger = `fail_${wf.replace(/\W/g, "_")}`;
    await env.DB.exec(`CREATE TRIGGER ${trigger} BEFORE INSERT ON workflow_types WHEN NEW.name = '${wf}' AND NEW.definition_hash <> 'pending' BEGIN SELECT RAISE(ABORT, 'index offline'); END`);
    setNow(t0 + CONFLICT_WINDOW_MS + 60_000);
    try {
      const failed = await register(wf, "v2", { schedules: [{ interval_seconds: 600 }] });
      expect(failed.status).toBe(503);
      expect(failed.body.detail).toContain(`the schedules declared for ${wf} were applied`);
      expect((await describeSchedule(id)).spec.intervals).toEqual([{ every: 600, offset: 0 }]);
      // A stale v1 worker registers before v2's retry: its definition is not the one the schedules hold.
      setNow(t0 + CONFLICT_WINDOW_MS + 61_000);
      const stale = await register(wf, "v1", { schedules: [{ interval_seconds: 3600 }] });
      expect(stale.body.workflows[0].applied, JSON.stringify(stale.body)).toBe(false);
      expect(stale.body.conflicts[0].message).toContain("than build v2");
      expect((await typeOf(wf)).build_id).toBe("v2");
    } finally {
      await env.DB.exec(`DROP TRIGGER ${trigger}`);
    }
    // v2's retry applies the same definition again and records it; v1 stays kept back.
    setNow(t0 + CONFLICT_WINDOW_MS + 62_000);
    expect((await register(wf, "v2", { schedules: [{ interval_seconds: 600 }] })).body).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    expect((await register(wf, "v1", { schedules: [{ interval_seconds: 3600 }] })).body.workflows[0].applied).toBe(false);
    expect((await describeSchedule(id)).spec.intervals).toEqual([{ every: 600, offset: 0 }]);
  });

  it("a registration refused before it changed any schedule records nothing: the current build is not kept back by it", async () => {
    const wf = uid("builds-refused");
    const t0 = T("2027-06-08T00:00:00.000Z");
    setNow(t0);
    expect((await register(wf, "v1", { schedules: [{ key: "daily", cron_expressions: ["0 8 * * *"] }] })).body.workflows[0].applied).toBe(true);
    // An API schedule holds key "nightly": v2's registration, after the window, declares it and is refused.
    expect((await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "nightly", cron_expressions: ["0 2 * * *"] })).status).toBe(201);
    setNow(t0 + CONFLICT_WINDOW_MS + 60_000);
    const refused = await register(wf, "v2", { schedules: [{ key: "daily", cron_expressions: ["0 8 * * *"] }, { key: "nightly", cron_expressions: ["0 2 * * *"] }] });
    expect(refused.status).toBe(409);
    expect(await typeOf(wf)).toMatchObject({ build_id: "v1", updated_at: new Date(t0).toISOString() });
    // v1's workers, still running, register again: applied, as before.
    expect((await register(wf, "v1", { schedules: [{ key: "daily", cron_expressions: ["0 8 * * *"] }] })).body.workflows[0].applied).toBe(true);
  });

  it("a registration refused after it marked the workflow pending (an API create took a key meanwhile) leaves the current build in charge", async () => {
    const wf = uid("builds-refused-late");
    const t0 = T("2027-06-09T00:00:00.000Z");
    const M = 60_000;
    const v1 = { queue: "q-v1", timeout: 600, schema: v1Schema, schedules: [{ key: "alpha", cron_expressions: ["0 8 * * *"], input: { n: 1 } }, { key: "x", cron_expressions: ["0 9 * * *"], input: { n: 1 } }] };
    setNow(t0);
    expect((await register(wf, "v1", v1)).body.workflows[0].applied).toBe(true);
    // v1's workers stopped; v2 comes up after the window. Its registration removes code-1 (key x)
    // and code-0 (re-keyed alpha -> x); an API create takes key x between them, so v2's claim of
    // x after the removals is refused: a 409, and v2's workers stop (worker.ready rejects).
    setNow(t0 + CONFLICT_WINDOW_MS + M);
    const hold = holdSecondRemoval();
    let refused: Awaited<ReturnType<typeof register>>;
    let created: Awaited<ReturnType<typeof api>>;
    try {
      const registration = register(wf, "v2", { queue: "q-v2", timeout: 900, schema: v2Schema, schedules: [{ key: "x", cron_expressions: ["0 10 * * *"], input: { n: 1, tag: "a" } }] });
      await hold.reached;
      // The create reads (and this isolate remembers) the registration as it is meanwhile: v2's pending mark.
      created = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "x", cron_expressions: ["0 2 * * *"], task_queue: "q-v1", input: { n: 1, tag: "a" } });
      hold.release();
      refused = await registration;
    } finally {
      hold.restore();
    }
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    // Nothing of v2 is recorded: the workflow type is v1's (starts are not judged by v2's queue and timeout).
    expect(await typeOf(wf)).toMatchObject({ task_queue: "q-v1", input_schema: v1Schema, execution_timeout: 600, build_id: "v1", updated_at: new Date(t0).toISOString() });
    // Nor does this isolate judge starts by the mark it read meanwhile: v2's required `tag` is not asked for.
    const start = await api("POST", "/v1/workflows/executions", { workflow: wf, input: { n: 2 } });
    expect(start.status, JSON.stringify(start.body)).toBeLessThan(300);
    // The user deletes the API schedule and rolls back to v1: its registration applies its schedules again.
    expect((await api("DELETE", `/v1/workflows/schedules/${encodeURIComponent(created.body.schedule_id)}`)).status).toBeLessThan(300);
    setNow(t0 + CONFLICT_WINDOW_MS + 2 * M);
    const back = await register(wf, "v1", v1);
    expect(back.body, JSON.stringify(back.body)).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    expect((await describeSchedule(`${wf}:code-0`)).key).toBe("alpha");
    expect((await describeSchedule(`${wf}:code-1`)).key).toBe("x");
  });

  it("a definition recorded before the hash covered the input schema, queue and timeout (an upgrade) is no conflict for another build declaring the same, and re-applies nothing", async () => {
    const wf = uid("builds-legacy");
    const t0 = T("2027-06-10T00:00:00.000Z");
    const schedules = [{ cron_expressions: ["0 8 * * *"], input: { n: 1, tag: "a" } }];
    setNow(t0);
    expect((await register(wf, "v1", { schema: v1Schema, schedules })).body.workflows[0].applied).toBe(true);
    // The row as the previous release recorded it: the hash of the parsed schedules alone.
    const legacy = String(hash32(JSON.stringify(parseCodeSchedules({ name: wf, input_schema: v1Schema, schedules }, 0, "builds-q", t0))));
    await env.DB.prepare("UPDATE workflow_types SET definition_hash = ? WHERE name = ?").bind(legacy, wf).run();
    // The user changed the code schedule by id: that lasts until a registration changes the definition.
    const id = `${wf}:code-0`;
    expect((await api("PATCH", `/v1/workflows/schedules/${encodeURIComponent(id)}`, { note: "edited by hand" })).status).toBe(200);
    const before = await describeSchedule(id);
    // Both builds run (a rolling deploy that changed activities only): v2 declares exactly what v1 does.
    setNow(t0 + 60_000);
    const r = await register(wf, "v2", { schema: v1Schema, schedules });
    expect(r.body, JSON.stringify(r.body)).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    expect(await describeSchedule(id)).toMatchObject({ version: before.version, note: "edited by hand" });
    // The record now has this release's hash: v1 declaring the same is no conflict either.
    setNow(t0 + 120_000);
    expect((await register(wf, "v1", { schema: v1Schema, schedules })).body).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
  });
  it("two builds declaring the same input and input schema with their keys in another order declare the same definition: no conflict, nothing re-applied", async () => {
    const wf = uid("builds-order");
    const t0 = T("2027-06-11T00:00:00.000Z");
    const schema = { type: "object", properties: { n: { type: "number" }, tag: { type: "string" } }, required: ["n", "tag"] };
    const reordered = { required: ["n", "tag"], properties: { tag: { type: "string" }, n: { type: "number" } }, type: "object" };
    setNow(t0);
    expect((await register(wf, "v1", { schema, schedules: [{ cron_expressions: ["0 8 * * *"], input: { n: 1, tag: "a" } }] })).body.workflows[0].applied).toBe(true);
    const id = `${wf}:code-0`;
    expect((await api("PATCH", `/v1/workflows/schedules/${encodeURIComponent(id)}`, { note: "edited by hand" })).status).toBe(200);
    const before = await describeSchedule(id);
    setNow(t0 + 60_000);
    const r = await register(wf, "v2", { schema: reordered, schedules: [{ input: { tag: "a", n: 1 }, cron_expressions: ["0 8 * * *"] }] });
    expect(r.body, JSON.stringify(r.body)).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    expect(await describeSchedule(id)).toMatchObject({ version: before.version, note: "edited by hand" });
  });

  it("a definition recorded before the hash was canonical (its keys in the order written) is the same definition: re-applies nothing", async () => {
    const wf = uid("builds-ordered");
    const t0 = T("2027-06-12T00:00:00.000Z");
    const schedules = [{ cron_expressions: ["0 8 * * *"], input: { tag: "a", n: 1 } }];
    setNow(t0);
    expect((await register(wf, "v1", { schema: v1Schema, schedules })).body.workflows[0].applied).toBe(true);
    // The row as the previous release recorded it: the same definition's JSON, keys as written.
    const cmds = parseCodeSchedules({ name: wf, input_schema: v1Schema, schedules }, 0, "builds-q", t0);
    const ordered = String(hash32(JSON.stringify({ schedules: cmds, input_schema: v1Schema, task_queue: "builds-q", execution_timeout: null })));
    await env.DB.prepare("UPDATE workflow_types SET definition_hash = ? WHERE name = ?").bind(ordered, wf).run();
    const id = `${wf}:code-0`;
    expect((await api("PATCH", `/v1/workflows/schedules/${encodeURIComponent(id)}`, { note: "edited by hand" })).status).toBe(200);
    const before = await describeSchedule(id);
    // Another build declaring the same (a rolling deploy), then the same build again: neither re-applies.
    setNow(t0 + 60_000);
    expect((await register(wf, "v2", { schema: v1Schema, schedules })).body).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    expect(await describeSchedule(id)).toMatchObject({ version: before.version, note: "edited by hand" });
  });
});
