import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { LIMITS } from "../../src/core/limits.ts";
import { countSchedules } from "../../src/index/schedules.ts";
import { api, uid } from "./helpers.ts";
import { eventually } from "./schedule-helpers.ts";

// Schedules declared in code obey the bounds a REST create does: the namespace's schedule limit,
// and 1,000 code schedules per registration; a refused registration writes nothing.

/** An admin key of a namespace of its own, so its schedule count starts at zero. */
async function freshNamespace(): Promise<{ ns: string; key: string }> {
  const ns = uid("ns-code-limit");
  const r = await api("POST", "/v1/admin/keys", { kind: "admin", namespace: ns, description: "code schedule limits" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { ns, key: r.body.key as string };
}

/** The Worker's own fetch handler with this deployment's vars changed. */
async function call(vars: Record<string, unknown>, key: string, method: string, path: string, body?: unknown) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://sundial.test${path}`, { method, headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
    { ...env, ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as any };
}

const registration = (workflows: { name: string; schedules: Record<string, unknown>[] }[]) => ({ identity: "limits-test", task_queue: "q-code-limits", workflows, activities: [] });

/** What a refused registration must not have left: schedules of these workflows, or their registration. */
async function expectNothingWritten(key: string, workflows: string[]) {
  for (const wf of workflows) {
    const listed = await api("GET", `/v1/workflows/schedules?workflow=${encodeURIComponent(wf)}`, undefined, key);
    expect(listed.body.schedules).toEqual([]);
    expect((await api("GET", `/v1/workflows/types/${encodeURIComponent(wf)}`, undefined, key)).status).toBe(404);
  }
}

describe("schedules in code and the per-namespace schedule limit", () => {
  it("new code schedules past the limit refuse the whole registration (422 limit_exceeded naming the first that does not fit); updates and restarts are not refused", async () => {
    const { ns, key } = await freshNamespace();
    const vars = { SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE: "2" };
    expect((await call(vars, key, "POST", "/v1/workflows/schedules", { workflow: uid("api-wf"), key: "a", cron: "0 8 * * *" })).status).toBe(201);
    await eventually(async () => expect(await countSchedules(env.DB, ns)).toBe(1));

    const [a, b] = [uid("code-a"), uid("code-b")];
    const refused = await call(vars, key, "POST", "/v1/workflows/workers/register", registration([
      { name: a, schedules: [{ interval_seconds: 3600 }] },
      { name: b, schedules: [{ interval_seconds: 7200 }] },
    ]));
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body).toMatchObject({ code: "limit_exceeded", field: "workflows.1.schedules.0" });
    expect(refused.body.detail).toContain("limit is 2");
    await expectNothingWritten(key, [a, b]);
    expect(await countSchedules(env.DB, ns)).toBe(1);

    // One fits; registering it again (a restart) or changing it creates nothing new, even in a full namespace.
    const one = [{ name: a, schedules: [{ interval_seconds: 3600 }] }];
    expect((await call(vars, key, "POST", "/v1/workflows/workers/register", registration(one))).status).toBe(200);
    await eventually(async () => expect(await countSchedules(env.DB, ns)).toBe(2));
    expect((await call(vars, key, "POST", "/v1/workflows/workers/register", registration(one))).status).toBe(200);
    const changed = await call(vars, key, "POST", "/v1/workflows/workers/register", registration([{ name: a, schedules: [{ interval_seconds: 1800 }] }]));
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const grown = await call(vars, key, "POST", "/v1/workflows/workers/register", registration([{ name: a, schedules: [{ interval_seconds: 1800 }, { cron: "0 9 * * *", key: "nine" }] }]));
    expect(grown.status).toBe(422);
    expect(grown.body).toMatchObject({ code: "limit_exceeded", field: "workflows.0.schedules.1" });
    expect((await api("GET", `/v1/workflows/schedules?workflow=${encodeURIComponent(a)}`, undefined, key)).body.schedules.map((s: { key: string }) => s.key)).toEqual(["code-0"]);
    // A new key at an existing index re-creates that schedule under its id: no new schedule.
    const swapped = await call(vars, key, "POST", "/v1/workflows/workers/register", registration([{ name: a, schedules: [{ cron: "0 9 * * *", key: "nine" }] }]));
    expect(swapped.status, JSON.stringify(swapped.body)).toBe(200);
  });

  it("a registration declaring more than 1,000 schedules in code is a 422 naming the first past it, and writes nothing", async () => {
    const { key } = await freshNamespace();
    const names = Array.from({ length: 11 }, (_, i) => uid(`code-cap-${i}`));
    // 10 workflows of 100 (the most one workflow declares) and one more: 1,001.
    const workflows = names.map((name, i) => ({ name, schedules: Array.from({ length: i < 10 ? 100 : 1 }, () => ({ interval_seconds: 3600 })) }));
    const r = await api("POST", "/v1/workflows/workers/register", registration(workflows), key);
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(422);
    expect(r.body).toMatchObject({ code: "limit_exceeded", field: "workflows.10.schedules.0" });
    expect(r.body.detail).toContain("1000");
    await expectNothingWritten(key, [names[0]!, names[10]!]);
  });
});

/** The namespace's index rows and its schedule objects (described by id): what it really holds. */
async function holdings(ns: string, key: string, ids: string[]) {
  const rows = await env.DB.prepare("SELECT schedule_id, workflow, key, updated_at FROM schedules WHERE namespace = ?").bind(ns).all<{ schedule_id: string; workflow: string; key: string; updated_at: number }>();
  const objects: string[] = [];
  for (const id of ids) if ((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(id)}`, undefined, key)).status === 200) objects.push(id);
  return { rows: rows.results, objects };
}

describe("code schedules claim their index rows as a REST create does", () => {
  it("concurrent registrations never take the namespace past its limit; the refused ones are 422 limit_exceeded and leave nothing", async () => {
    const { ns, key } = await freshNamespace();
    const limit = 3;
    const vars = { SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE: String(limit) };
    const held = uid("api-held");
    expect((await call(vars, key, "POST", "/v1/workflows/schedules", { workflow: held, key: "a", cron: "0 8 * * *" })).status).toBe(201);
    // Room for 2: four registrations of 2 new schedules each, at once; one fits, exactly.
    const workflows = Array.from({ length: 4 }, (_, i) => uid(`code-race-${i}`));
    const answers = await Promise.all(workflows.map((name) => call(vars, key, "POST", "/v1/workflows/workers/register", registration([{ name, schedules: [{ interval_seconds: 3600 }, { interval_seconds: 7200 }] }]))));
    for (const r of answers) {
      expect([200, 422], JSON.stringify(r.body)).toContain(r.status);
      if (r.status === 422) expect(r.body).toMatchObject({ code: "limit_exceeded", field: expect.stringMatching(/^workflows\.0\.schedules\.[01]$/) });
    }
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);

    const codeIds = workflows.flatMap((wf) => [`${wf}:code-0`, `${wf}:code-1`]);
    const { rows, objects } = await holdings(ns, key, [`${held}:a`, ...codeIds]);
    expect(objects.length, objects.join()).toBeLessThanOrEqual(limit);
    expect(rows.length).toBeLessThanOrEqual(limit);
    // Every schedule made is indexed (its claim replaced by its own row), and nothing else is.
    await eventually(async () => {
      const now = await holdings(ns, key, []);
      expect(now.rows.filter((r) => r.updated_at > 0).map((r) => r.schedule_id).sort()).toEqual([...objects].sort());
      expect(now.rows).toHaveLength(objects.length);
    });
    expect(await countSchedules(env.DB, ns)).toBe(objects.length);
    for (const [i, r] of answers.entries()) {
      const wf = workflows[i]!;
      if (r.status === 200) expect(objects).toEqual(expect.arrayContaining([`${wf}:code-0`, `${wf}:code-1`]));
      else {
        expect(objects.filter((id) => id.startsWith(`${wf}:`))).toEqual([]);
        await expectNothingWritten(key, [wf]);
      }
    }
  });

  it("a REST create of the same (workflow, key) landing while a registration is under way: one schedule holds the pair, and it is indexed", async () => {
    const { ns, key } = await freshNamespace();
    // The create lands once the registration has read the index (before its first D1 batch, or
    // before its first schedule object write): the window a plan read ahead of the writes leaves.
    for (const at of ["batch", "object"] as const) {
      const wf = uid(`code-vs-api-${at}`);
      let rival: Promise<{ status: number; body: any }> | undefined;
      const land = () => (rival ??= call({}, key, "POST", "/v1/workflows/schedules", { workflow: wf, key: "k", cron: "0 8 * * *" }));
      const reg = await call(interposed(at, land), key, "POST", "/v1/workflows/workers/register", registration([{ name: wf, schedules: [{ key: "k", interval_seconds: 3600 }] }]));
      const rest = await land();
      expect([200, 409], JSON.stringify(reg.body)).toContain(reg.status);
      expect([200, 201, 409], JSON.stringify(rest.body)).toContain(rest.status);
      const { objects } = await holdings(ns, key, [`${wf}:code-0`, `${wf}:k`]);
      expect(objects, `${at}: registration ${reg.status}, create ${rest.status}`).toHaveLength(1);
      // The one that lost is the 409 it gets when the other's schedule already exists.
      expect([reg.status, rest.status < 300 ? "created" : rest.status].sort(), `${at}`).toEqual(reg.status === 200 ? [200, 409] : [409, "created"]);
      if (reg.status === 409) {
        expect(reg.body).toMatchObject({ code: "schedule_key_taken", field: "workflows.0.schedules.0.key" });
        expect(reg.body.detail).toContain(`already used by schedule ${wf}:k, created through the API`);
      } else {
        expect(rest.body).toMatchObject({ code: "schedule_key_taken", field: "key" });
        expect(rest.body.detail).toContain(`held by schedule ${wf}:code-0, declared in worker code`);
      }
      await eventually(async () => {
        const row = await env.DB.prepare("SELECT schedule_id, updated_at FROM schedules WHERE namespace = ? AND workflow = ? AND key = 'k'").bind(ns, wf).first<{ schedule_id: string; updated_at: number }>();
        expect(row).toMatchObject({ schedule_id: objects[0] });
        expect(row!.updated_at).toBeGreaterThan(0);
      });
    }
  });
});

/**
 * The bindings of one request with `land` run (and awaited) just before its first D1 batch, or
 * before its first call to a schedule object: another request landing at that moment.
 */
function interposed(at: "batch" | "object", land: () => Promise<unknown>): Record<string, unknown> {
  if (at === "batch") {
    return { DB: { prepare: (sql: string) => env.DB.prepare(sql), batch: async (s: D1PreparedStatement[]) => (await land(), env.DB.batch(s)) } };
  }
  const first = async <T>(fn: () => Promise<T>) => (await land(), fn());
  return {
    SCHEDULES: {
      getByName(name: string) {
        const stub = env.SCHEDULES.getByName(name) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
        return { upsert: (...a: unknown[]) => first(() => stub.upsert!(...a)), remove: (...a: unknown[]) => first(() => stub.remove!(...a)), get: (...a: unknown[]) => stub.get!(...a) };
      },
    },
  };
}

describe("a code schedule's input", () => {
  it("larger than the payload limit is the 413 payload_too_large a REST create answers, naming its path, and nothing is written", async () => {
    const { key } = await freshNamespace();
    const [small, big] = [uid("code-input-ok"), uid("code-input-big")];
    const input = { blob: "x".repeat(LIMITS.maxPayloadBytes) };
    const rest = await api("POST", "/v1/workflows/schedules", { workflow: big, key: "k", cron: "0 8 * * *", input }, key);
    expect(rest.status).toBe(413);
    expect(rest.body).toMatchObject({ code: "payload_too_large", field: "input" });

    const r = await api("POST", "/v1/workflows/workers/register", registration([
      { name: small, schedules: [{ interval_seconds: 3600, input: { fine: true } }] },
      { name: big, schedules: [{ interval_seconds: 3600 }, { interval_seconds: 60, input }] },
    ]), key);
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(413);
    expect(r.body).toMatchObject({ code: "payload_too_large", field: "workflows.1.schedules.1.input" });
    await expectNothingWritten(key, [small, big]);
  });
});
