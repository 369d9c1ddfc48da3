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
async function call(vars: Record<string, string>, key: string, method: string, path: string, body?: unknown) {
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
