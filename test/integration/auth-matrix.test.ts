import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/api/openapi.ts";
import { clock } from "../../src/clock.ts";
import { api, DEV_KEY, uid } from "./helpers.ts";
import { eventually } from "./schedule-helpers.ts";

/**
 * DESIGN.md "Security rules", route by route: every route in the OpenAPI document (health aside) ×
 * {no key, malformed key, wrong secret, unknown key id, revoked key, wrong key kind, another
 * namespace's key}. Each rejection must be the documented status as problem+json, and must leave
 * everything the rightful keys can see exactly as it was (compared after every single request).
 *
 * The clock is pinned in 2027, so no alarm armed during the file (workflow task timeouts, task
 * re-dispatch, the schedule's fire) ever comes due in real time: the state only changes if a request
 * changes it.
 */

const T0 = Date.parse("2027-03-01T12:00:00.000Z");

interface Key {
  key: string;
  key_id: string;
  namespace: string;
  kind: "app" | "worker" | "admin";
}

const nsA = uid("tenant-a");
const nsB = uid("tenant-b");
const wfA = uid("wf-a");
const qA = uid("q-a");
const sidA = uid("sched-a");
/** A workflow only namespace A registered (GET /v1/workflows/types). */
const typeA = uid("type-a");
const e1 = uid("exec-a1"); // an activity attempt is running (token at1)
const e2 = uid("exec-a2"); // a workflow task is running (token wt2)
const e3 = uid("exec-a3"); // a workflow task is queued, nobody polled it yet

const keys = {} as Record<"appA" | "workerA" | "adminA" | "victimA" | "appB" | "workerB" | "adminB" | "revokedApp" | "revokedWorker" | "revokedAdmin", Key>;
let wt2 = "";
let at1 = "";
let baseline: Snapshot;

async function createKey(kind: Key["kind"], namespace: string): Promise<Key> {
  const r = await api("POST", "/v1/admin/keys", { kind, namespace, description: `auth-matrix ${kind}` });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as Key;
}

const enc = encodeURIComponent;

/** Everything the rightful keys can see of namespace A (and of B's lists), read with those keys. */
async function snapshot() {
  const A = keys.appA.key;
  const B = keys.appB.key;
  const get = async (path: string, key: string) => {
    const r = await api("GET", path, undefined, key);
    return { status: r.status, body: r.body };
  };
  const [schedule, schedules, executions, x1, h1, x2, h2, x3, h3, keysA, keysB, keysDefault, schedulesB, executionsB] = await Promise.all([
    get(`/v1/workflows/schedules/${enc(sidA)}`, A),
    get("/v1/workflows/schedules?page_size=500", A),
    get("/v1/workflows/executions?page_size=500", A),
    get(`/v1/workflows/executions/${e1}`, A),
    get(`/v1/workflows/executions/${e1}/history?page_size=500`, A),
    get(`/v1/workflows/executions/${e2}`, A),
    get(`/v1/workflows/executions/${e2}/history?page_size=500`, A),
    get(`/v1/workflows/executions/${e3}`, A),
    get(`/v1/workflows/executions/${e3}/history?page_size=500`, A),
    get(`/v1/admin/keys?namespace=${nsA}`, DEV_KEY),
    get(`/v1/admin/keys?namespace=${nsB}`, DEV_KEY),
    get("/v1/admin/keys", DEV_KEY),
    get("/v1/workflows/schedules?page_size=500", B),
    get("/v1/workflows/executions?page_size=500", B),
  ]);
  const types = await env.DB.prepare("SELECT * FROM workflow_types WHERE namespace IN (?, ?) ORDER BY namespace, name").bind(nsA, nsB).all();
  return { schedule, schedules, executions, x1, h1, x2, h2, x3, h3, keysA, keysB, keysDefault, schedulesB, executionsB, types: types.results };
}
type Snapshot = Awaited<ReturnType<typeof snapshot>>;

async function expectUnchanged(what: string): Promise<void> {
  expect(await snapshot(), `state changed after ${what}`).toEqual(baseline);
}

/** A snapshot taken once the write-behind (D1 index outbox) has settled: two equal reads in a row. */
async function settledSnapshot(): Promise<Snapshot> {
  let prev = await snapshot();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 40));
    const next = await snapshot();
    if (JSON.stringify(next) === JSON.stringify(prev)) return next;
    prev = next;
  }
  throw new Error("state never settled");
}

async function pollAs(key: Key, kind: "workflow" | "activity") {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: qA, kind, identity: "rightful-worker", wait_seconds: 1 }, key.key);
}

beforeAll(async () => {
  clock.now = () => T0;
  keys.appA = await createKey("app", nsA);
  keys.workerA = await createKey("worker", nsA);
  keys.adminA = await createKey("admin", nsA);
  keys.victimA = await createKey("app", nsA);
  keys.appB = await createKey("app", nsB);
  keys.workerB = await createKey("worker", nsB);
  keys.adminB = await createKey("admin", nsB);
  keys.revokedApp = await createKey("app", nsA);
  keys.revokedWorker = await createKey("worker", nsA);
  keys.revokedAdmin = await createKey("admin", nsA);
  for (const k of [keys.revokedApp, keys.revokedWorker, keys.revokedAdmin]) {
    expect((await api("DELETE", `/v1/admin/keys/${k.key_id}?namespace=${nsA}`)).status).toBe(204);
  }

  const A = keys.appA.key;
  const registered = await api("POST", "/v1/workflows/workers/register", { identity: "rightful-worker", task_queue: qA, workflows: [{ name: typeA }], activities: [] }, keys.workerA.key);
  expect(registered.status, JSON.stringify(registered.body)).toBe(200);
  const created = await api("POST", "/v1/workflows/schedules", { schedule_id: sidA, workflow: wfA, key: "user-1", cron: "0 0 1 1 *", task_queue: uid("q-sched"), input: { v: 1 } }, A);
  expect(created.status, JSON.stringify(created.body)).toBe(201);

  expect((await api("POST", "/v1/workflows/executions", { workflow: wfA, execution_id: e1, task_queue: qA, input: { n: 1 } }, A)).status).toBe(201);
  const wt1 = await pollAs(keys.workerA, "workflow");
  expect(wt1.body?.execution_id).toBe(e1);
  const scheduled = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt1.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "charge", input: { cents: 100 } }] }, keys.workerA.key);
  expect(scheduled.body).toEqual({ status: "accepted" });
  const act = await pollAs(keys.workerA, "activity");
  expect(act.body?.execution_id).toBe(e1);
  at1 = act.body.task_token;

  expect((await api("POST", "/v1/workflows/executions", { workflow: wfA, execution_id: e2, task_queue: qA }, A)).status).toBe(201);
  const wt = await pollAs(keys.workerA, "workflow");
  expect(wt.body?.execution_id).toBe(e2);
  wt2 = wt.body.task_token;

  expect((await api("POST", "/v1/workflows/executions", { workflow: wfA, execution_id: e3, task_queue: qA }, A)).status).toBe(201);

  await eventually(async () => {
    const s = await snapshot();
    expect(s.schedules.body.schedules.map((x: { schedule_id: string }) => x.schedule_id)).toEqual([sidA]);
    expect(s.executions.body.executions.map((x: { execution_id: string }) => x.execution_id).sort()).toEqual([e1, e2, e3].sort());
  });
  baseline = await settledSnapshot();
  expect(baseline.x1.body.pending_activities).toHaveLength(1);
  expect(baseline.h2.body.events.at(-1).type).toBe("workflow_task_started");
  expect(baseline.h3.body.events.at(-1).type).toBe("workflow_task_scheduled");
}, 60_000);

type Kind = "app" | "worker" | "admin" | "any";

/**
 * What namespace B's key gets when it addresses namespace A: a 404 for A's objects; for collection
 * routes, B's own (empty) view; `write` routes are exercised in their own test below.
 */
type Other =
  | { key: "appB" | "workerB" | "adminB"; status: 404; code: string; query?: string; body?: unknown }
  | { key: "appB" | "workerB" | "adminB"; status: 200 | 204; query?: string; check?: (body: any) => void }
  | { write: true };

interface RouteCase {
  kind: Kind;
  /** The path with namespace A's objects filled in; every rejected request below would damage them. */
  path: () => string;
  body?: () => unknown;
  other?: Other;
}

const notA = (listKey: string, idKey: string) => (body: any) => {
  const ids = body[listKey].map((x: Record<string, string>) => x[idKey]);
  for (const id of [sidA, e1, e2, e3]) expect(ids).not.toContain(id);
};

/** Every route of the OpenAPI document (health aside), with a request that would succeed for the rightful key. */
const CASES: Record<string, RouteCase> = {
  "POST /v1/workflows/schedules": { kind: "app", path: () => "/v1/workflows/schedules", body: () => ({ workflow: wfA, key: "user-1", cron: "* * * * *", input: { hijacked: true } }), other: { write: true } },
  "GET /v1/workflows/schedules": { kind: "app", path: () => `/v1/workflows/schedules?workflow=${wfA}`, other: { key: "appB", status: 200, check: notA("schedules", "schedule_id") } },
  "POST /v1/workflows/schedules/preview": { kind: "app", path: () => "/v1/workflows/schedules/preview", body: () => ({ cron: "0 9 * * *", count: 3 }), other: { write: true } },
  "GET /v1/workflows/schedules/{schedule_id}": { kind: "app", path: () => `/v1/workflows/schedules/${enc(sidA)}`, other: { key: "appB", status: 404, code: "schedule_not_found" } },
  "PATCH /v1/workflows/schedules/{schedule_id}": { kind: "app", path: () => `/v1/workflows/schedules/${enc(sidA)}`, body: () => ({ note: "hijacked", cron: "* * * * *" }), other: { key: "appB", status: 404, code: "schedule_not_found" } },
  "DELETE /v1/workflows/schedules/{schedule_id}": { kind: "app", path: () => `/v1/workflows/schedules/${enc(sidA)}`, other: { key: "appB", status: 404, code: "schedule_not_found" } },
  "POST /v1/workflows/schedules/{schedule_id}/pause": { kind: "app", path: () => `/v1/workflows/schedules/${enc(sidA)}/pause`, body: () => ({ note: "hijacked" }), other: { key: "appB", status: 404, code: "schedule_not_found" } },
  "POST /v1/workflows/schedules/{schedule_id}/resume": { kind: "app", path: () => `/v1/workflows/schedules/${enc(sidA)}/resume`, body: () => ({ note: "hijacked" }), other: { key: "appB", status: 404, code: "schedule_not_found" } },
  "POST /v1/workflows/schedules/{schedule_id}/trigger": { kind: "app", path: () => `/v1/workflows/schedules/${enc(sidA)}/trigger`, body: () => ({ input: { hijacked: true }, request_id: "intruder" }), other: { key: "appB", status: 404, code: "schedule_not_found" } },
  "POST /v1/workflows/schedules/{schedule_id}/backfill": { kind: "app", path: () => `/v1/workflows/schedules/${enc(sidA)}/backfill`, body: () => ({ start_at: "2020-01-01T00:00:00Z", end_at: "2026-01-01T00:00:00Z" }), other: { key: "appB", status: 404, code: "schedule_not_found" } },
  "POST /v1/workflows/executions": { kind: "app", path: () => "/v1/workflows/executions", body: () => ({ workflow: wfA, execution_id: uid("intruder-exec"), task_queue: qA }), other: { write: true } },
  "POST /v1/workflows/executions/signal-with-start": { kind: "app", path: () => "/v1/workflows/executions/signal-with-start", body: () => ({ workflow: wfA, execution_id: e1, task_queue: qA, signal_name: "pay", signal_input: { hijacked: true } }), other: { write: true } },
  "POST /v1/workflows/executions/{execution_id}/signals/{name}": { kind: "app", path: () => `/v1/workflows/executions/${e1}/signals/pay`, body: () => ({ input: { hijacked: true }, request_id: "intruder" }), other: { key: "appB", status: 404, code: "execution_not_found" } },
  "POST /v1/workflows/executions/{execution_id}/queries/{name}": { kind: "app", path: () => `/v1/workflows/executions/${e1}/queries/balance`, body: () => ({ timeout_seconds: 1 }), other: { key: "appB", status: 404, code: "execution_not_found" } },
  "POST /v1/workflows/executions/{execution_id}/updates/{name}": { kind: "app", path: () => `/v1/workflows/executions/${e1}/updates/set_limit`, body: () => ({ input: 1, update_id: "intruder", wait_seconds: 1 }), other: { key: "appB", status: 404, code: "execution_not_found" } },
  "POST /v1/workflows/executions/{execution_id}/reset": { kind: "app", path: () => `/v1/workflows/executions/${e1}/reset`, body: () => ({ event_id: 4, reason: "hijacked" }), other: { key: "appB", status: 404, code: "execution_not_found" } },
  "GET /v1/workflows/executions": { kind: "app", path: () => `/v1/workflows/executions?workflow=${wfA}`, other: { key: "appB", status: 200, check: notA("executions", "execution_id") } },
  "GET /v1/workflows/executions/{execution_id}": { kind: "app", path: () => `/v1/workflows/executions/${e1}`, other: { key: "appB", status: 404, code: "execution_not_found" } },
  "GET /v1/workflows/executions/{execution_id}/history": { kind: "app", path: () => `/v1/workflows/executions/${e1}/history`, other: { key: "appB", status: 404, code: "execution_not_found" } },
  "GET /v1/workflows/executions/{execution_id}/result": { kind: "app", path: () => `/v1/workflows/executions/${e1}/result?wait_seconds=0`, other: { key: "appB", status: 404, code: "execution_not_found" } },
  "POST /v1/workflows/executions/{execution_id}/cancel": { kind: "app", path: () => `/v1/workflows/executions/${e1}/cancel`, body: () => ({ reason: "hijacked" }), other: { key: "appB", status: 404, code: "execution_not_found" } },
  "POST /v1/workflows/executions/{execution_id}/terminate": { kind: "app", path: () => `/v1/workflows/executions/${e2}/terminate`, body: () => ({ reason: "hijacked" }), other: { key: "appB", status: 404, code: "execution_not_found" } },
  "POST /v1/workflows/workers/register": {
    kind: "worker",
    path: () => "/v1/workflows/workers/register",
    body: () => ({ identity: "intruder", task_queue: qA, workflows: [{ name: wfA, input_schema: { type: "string" }, schedules: [{ cron: "* * * * *" }] }], activities: ["charge"] }),
    other: { write: true },
  },
  "GET /v1/workflows/types": { kind: "app", path: () => "/v1/workflows/types", other: { key: "appB", status: 200, check: (b) => expect(b.workflow_types.map((t: { name: string }) => t.name)).not.toContain(typeA) } },
  "GET /v1/workflows/types/{name}": { kind: "app", path: () => `/v1/workflows/types/${typeA}`, other: { key: "appB", status: 404, code: "workflow_not_found" } },
  "GET /v1/workflows/workers/whoami": { kind: "any", path: () => "/v1/workflows/workers/whoami", other: { key: "workerB", status: 200, check: (b) => expect(b).toMatchObject({ namespace: nsB, key_id: keys.workerB.key_id }) } },
  "POST /v1/workflows/tasks/poll": {
    kind: "worker",
    path: () => "/v1/workflows/tasks/poll",
    body: () => ({ task_queue: qA, kind: "workflow", identity: "intruder", wait_seconds: 0 }),
    // B's queue of the same name is B's own, and empty: A's queued task (e3) is not handed out.
    other: { key: "workerB", status: 204 },
  },
  "POST /v1/workflows/tasks/workflow/complete": { kind: "worker", path: () => "/v1/workflows/tasks/workflow/complete", body: () => ({ task_token: wt2, commands: [{ type: "complete_workflow", result: "hijacked" }] }), other: { key: "workerB", status: 404, code: "task_not_found" } },
  "POST /v1/workflows/tasks/workflow/history": { kind: "worker", path: () => "/v1/workflows/tasks/workflow/history", body: () => ({ task_token: wt2, after_event_id: 0, before_event_id: 3 }), other: { key: "workerB", status: 404, code: "task_not_found" } },
  "POST /v1/workflows/tasks/workflow/fail": { kind: "worker", path: () => "/v1/workflows/tasks/workflow/fail", body: () => ({ task_token: wt2, failure: { message: "hijacked" } }), other: { key: "workerB", status: 404, code: "task_not_found" } },
  "POST /v1/workflows/tasks/activity/complete": { kind: "worker", path: () => "/v1/workflows/tasks/activity/complete", body: () => ({ task_token: at1, result: "hijacked" }), other: { key: "workerB", status: 404, code: "task_not_found" } },
  "POST /v1/workflows/tasks/activity/fail": { kind: "worker", path: () => "/v1/workflows/tasks/activity/fail", body: () => ({ task_token: at1, failure: { message: "hijacked", non_retryable: true } }), other: { key: "workerB", status: 404, code: "task_not_found" } },
  "POST /v1/workflows/tasks/activity/heartbeat": { kind: "worker", path: () => "/v1/workflows/tasks/activity/heartbeat", body: () => ({ task_token: at1, details: { hijacked: true } }), other: { key: "workerB", status: 404, code: "task_not_found" } },
  // A query token needs a client waiting on a query; A's workflow task token stands in (B must get the same 404).
  "POST /v1/workflows/tasks/query/respond": { kind: "worker", path: () => "/v1/workflows/tasks/query/respond", body: () => ({ task_token: wt2, result: "hijacked" }), other: { key: "workerB", status: 404, code: "task_not_found" } },
  "POST /v1/workflows/tasks/ack": { kind: "worker", path: () => "/v1/workflows/tasks/ack", body: () => ({ task_token: at1 }), other: { key: "workerB", status: 404, code: "task_not_found" } },
  "POST /v1/admin/keys": { kind: "admin", path: () => "/v1/admin/keys", body: () => ({ kind: "admin", namespace: nsA, description: "intruder" }), other: { key: "adminB", status: 404, code: "namespace_not_found" } },
  "GET /v1/admin/keys": { kind: "admin", path: () => `/v1/admin/keys?namespace=${nsA}`, other: { key: "adminB", status: 404, code: "namespace_not_found" } },
  "DELETE /v1/admin/keys/{key_id}": { kind: "admin", path: () => `/v1/admin/keys/${keys.victimA.key_id}?namespace=${nsA}`, other: { key: "adminB", status: 404, code: "namespace_not_found" } },
};

/** Routes of the served OpenAPI document, as "METHOD /path/{param}". */
function documentedRoutes(): string[] {
  const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
}
const ROUTES = documentedRoutes().filter((r) => r !== "GET /v1/health");

interface Variant {
  name: string;
  headers: Record<string, string>;
  status: number;
  code: string;
}

/** The rightful key of a route: what the rejected variants are derived from. */
const rightful = (kind: Kind): Key => (kind === "worker" ? keys.workerA : kind === "admin" ? keys.adminA : keys.appA);
const revokedOf = (kind: Kind): Key => (kind === "worker" ? keys.revokedWorker : kind === "admin" ? keys.revokedAdmin : keys.revokedApp);

/** Flips one base64url character so its decoded bits change (the top bit of its 6-bit value). */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
function flipAt(text: string, i: number): string {
  const v = ALPHABET.indexOf(text[i]!);
  const repl = v < 0 ? "A" : ALPHABET[v ^ 32]!;
  return text.slice(0, i) + repl + text.slice(i + 1);
}

function variants(kind: Kind): Variant[] {
  const good = rightful(kind);
  const secret = good.key.slice(good.key_id.length + 1);
  const bearer = (v: string) => ({ authorization: v });
  const unauthorized = (name: string, headers: Record<string, string>, code = "unauthorized"): Variant => ({ name, headers, status: 401, code });
  const malformed = (name: string, value: string): Variant => unauthorized(`malformed: ${name}`, bearer(value), "malformed_key");
  const out: Variant[] = [
    unauthorized("no Authorization header", {}),
    malformed("scheme only", "Bearer"),
    malformed("Basic scheme", `Basic ${btoa(`${good.key_id}:${secret}`)}`),
    malformed("no scheme", good.key),
    malformed("trailing garbage", `Bearer ${good.key} extra`),
    malformed("key id only", `Bearer ${good.key_id}`),
    malformed("secret too short", `Bearer ${good.key_id}.short`),
    malformed("three parts", `Bearer ${good.key}.x`),
    malformed("key id too long", `Bearer ${"k".repeat(65)}.${secret}`),
    malformed("path traversal", `Bearer ../../${good.key}`),
    malformed("character outside the key alphabet", `Bearer ${good.key_id}.${secret.slice(0, -1)}%`),
    unauthorized("wrong secret for a real key id", bearer(`Bearer ${good.key_id}.${flipAt(secret, 0)}`)),
    unauthorized("real secret one character longer", bearer(`Bearer ${good.key_id}.${secret}A`)),
    unauthorized("real secret under another key id", bearer(`Bearer ${keys.victimA.key_id}.${secret}`)),
    unauthorized("unknown key id", bearer(`Bearer knosuchkey0000.${secret}`)),
    unauthorized("dev key with a different case", bearer(`Bearer ${DEV_KEY.toUpperCase()}`)),
    unauthorized("revoked key", bearer(`Bearer ${revokedOf(kind).key}`), "revoked_key"),
    unauthorized("revoked key, wrong secret", bearer(`Bearer ${revokedOf(kind).key_id}.${flipAt(secret, 3)}`)),
  ];
  const wrongKinds: Key[] = kind === "app" ? [keys.workerA] : kind === "worker" ? [keys.appA] : kind === "admin" ? [keys.appA, keys.workerA] : [];
  for (const k of wrongKinds) out.push({ name: `wrong kind: ${k.kind} key`, headers: bearer(`Bearer ${k.key}`), status: 403, code: "wrong_key_kind" });
  return out;
}

function expectProblem(r: { status: number; body: any; headers: Headers }, status: number, code: string, what: string): void {
  expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(status);
  expect(r.headers.get("content-type"), what).toBe("application/problem+json");
  expect(r.body, what).toMatchObject({ status, code });
  expect(typeof r.body.detail, what).toBe("string");
}

describe("auth matrix: every route × every way to be refused", () => {
  it("has a case for every route of the OpenAPI document", () => {
    expect(ROUTES.length).toBeGreaterThanOrEqual(34);
    for (const r of ROUTES) expect(CASES[r], `no auth-matrix case for ${r}`).toBeDefined();
  });

  // Routes without a case fail the coverage test above (and only it).
  it.each(ROUTES.filter((r) => CASES[r]))("%s: no key, malformed, wrong secret, revoked → 401; wrong kind → 403; nothing changes", async (route) => {
    const rc = CASES[route]!;
    const method = route.split(" ")[0]!;
    const vs = variants(rc.kind);
    for (const v of vs) {
      const r = await api(method, rc.path(), rc.body?.(), null, { headers: v.headers });
      expectProblem(r, v.status, v.code, `${route} with ${v.name}`);
    }
    // One comparison per route keeps the file fast; any variant that wrote would show here.
    await expectUnchanged(`${route} with any of: ${vs.map((v) => v.name).join("; ")}`);
  }, 30_000);

  it.each(ROUTES.filter((r) => CASES[r]?.other && !("write" in CASES[r]!.other!)))("%s with namespace B's key: A's objects are invisible (404, never 403)", async (route) => {
    const rc = CASES[route]!;
    const o = rc.other as Exclude<Other, { write: true }>;
    const method = route.split(" ")[0]!;
    const what = `${route} with ${o.key}`;
    const r = await api(method, rc.path(), rc.body?.(), keys[o.key].key);
    if (o.status === 404) {
      expectProblem(r, 404, o.code, what);
    } else {
      expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(o.status);
      if ("check" in o && o.check) o.check(r.body);
    }
    await expectUnchanged(what);
  }, 30_000);

  it("admin keys of another namespace cannot reach A's keys by key id either (no namespace parameter)", async () => {
    const r = await api("DELETE", `/v1/admin/keys/${keys.victimA.key_id}`, undefined, keys.adminB.key);
    expectProblem(r, 404, "key_not_found", "adminB revoking A's key by id");
    const l = await api("GET", "/v1/admin/keys", undefined, keys.adminB.key);
    expect(l.status).toBe(200);
    expect(l.body.keys.map((k: Key) => k.namespace)).toEqual(expect.arrayContaining([nsB]));
    expect(l.body.keys.every((k: Key) => k.namespace === nsB)).toBe(true);
    await expectUnchanged("adminB key calls");
  });
});

describe("task tokens", () => {
  const tokenRoutes = (): [string, () => unknown, string][] => [
    ["/v1/workflows/tasks/workflow/complete", () => ({ commands: [{ type: "complete_workflow", result: "forged" }] }), wt2],
    ["/v1/workflows/tasks/workflow/fail", () => ({ failure: { message: "forged" } }), wt2],
    ["/v1/workflows/tasks/workflow/history", () => ({ after_event_id: 0, before_event_id: 3 }), wt2],
    ["/v1/workflows/tasks/activity/complete", () => ({ result: "forged" }), at1],
    ["/v1/workflows/tasks/activity/fail", () => ({ failure: { message: "forged", non_retryable: true } }), at1],
    ["/v1/workflows/tasks/activity/heartbeat", () => ({ details: "forged" }), at1],
  ];

  it("a token minted in namespace A is unknown (404) to every worker key of namespace B, and to an admin key of B", async () => {
    for (const [path, body, token] of tokenRoutes()) {
      for (const k of [keys.workerB, keys.adminB]) {
        const r = await api("POST", path, { ...(body() as object), task_token: token }, k.key);
        expectProblem(r, 404, "task_not_found", `${path} with A's token and ${k.kind} key of B`);
      }
    }
    await expectUnchanged("cross-namespace token use");
  }, 30_000);

  it("a token flipped at any single character is unknown (404), on every token route", async () => {
    for (const [path, body, token] of tokenRoutes()) {
      const flips = [...token].map((_, i) => flipAt(token, i));
      const answers = await Promise.all(flips.map((t) => api("POST", path, { ...(body() as object), task_token: t }, keys.workerA.key)));
      answers.forEach((r, i) => expectProblem(r, 404, "task_not_found", `${path} with the token flipped at ${i}/${token.length}`));
      await expectUnchanged(`flipped tokens on ${path}`);
    }
  }, 60_000);

  it("truncated, extended, re-signed and cross-kind tokens are unknown (404)", async () => {
    const [payload, sig] = wt2.split(".") as [string, string];
    const forgedPayload = btoa(JSON.stringify({ ...JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))), n: nsB })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const bad = [wt2.slice(0, -1), `${wt2}A`, `${payload}.`, `.${sig}`, payload, `${payload}.${sig}.${sig}`, `${forgedPayload}.${sig}`, `${payload}=.${sig}`, wt2.replace(".", "..")];
    for (const t of bad) {
      const r = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: t, commands: [] }, keys.workerA.key);
      expectProblem(r, 404, "task_not_found", `tampered token ${t}`);
    }
    // The forged payload claims namespace B: B's worker must not be able to use it either.
    const r = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: `${forgedPayload}.${sig}`, commands: [] }, keys.workerB.key);
    expectProblem(r, 404, "task_not_found", "re-namespaced token with B's key");
    // A workflow task token is not an activity token, and the other way round.
    expectProblem(await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: wt2, result: 1 }, keys.workerA.key), 404, "task_not_found", "workflow token on activity route");
    expectProblem(await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: wt2 }, keys.workerA.key), 404, "task_not_found", "workflow token on heartbeat");
    expectProblem(await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: at1, commands: [] }, keys.workerA.key), 404, "task_not_found", "activity token on workflow route");
    await expectUnchanged("tampered tokens");
  }, 30_000);
});

describe("namespace B's writes land in B", () => {
  it("creates, starts, registers and previews with B's keys never touch A, and B sees none of A's objects", async () => {
    const before = baseline;
    // Same schedule id, workflow and key as A's schedule: a new schedule in B, not an update of A's.
    const s = await api("POST", "/v1/workflows/schedules", { schedule_id: sidA, workflow: wfA, key: "user-1", cron: "0 0 2 1 *", task_queue: uid("q-b") }, keys.appB.key);
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    expect(s.body).toMatchObject({ schedule_id: sidA, version: 1 });
    // Same execution id as A's running execution, duplicates rejected: B has no such execution, so it starts.
    const x = await api("POST", "/v1/workflows/executions", { workflow: wfA, execution_id: e1, id_reuse_policy: "reject_duplicate", task_queue: uid("q-b") }, keys.appB.key);
    expect(x.status, JSON.stringify(x.body)).toBe(201);
    expect(x.body.history_length).toBe(2);
    // Signal-with-start on A's running execution id: B has no such execution, so B's starts and is signalled.
    const sws = await api("POST", "/v1/workflows/executions/signal-with-start", { workflow: wfA, execution_id: e2, task_queue: uid("q-b"), signal_name: "pay", signal_input: 1 }, keys.appB.key);
    expect(sws.status, JSON.stringify(sws.body)).toBe(201);
    const reg = await api("POST", "/v1/workflows/workers/register", { identity: "b-worker", task_queue: uid("q-b"), workflows: [{ name: wfA, input_schema: { type: "string" } }], activities: [] }, keys.workerB.key);
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    expect(reg.body.namespace).toBe(nsB);
    const p = await api("POST", "/v1/workflows/schedules/preview", { cron: "0 9 * * *", count: 2 }, keys.appB.key);
    expect(p.status).toBe(200);

    // A is exactly as it was (B's own lists did change).
    const after = await snapshot();
    const { schedulesB: _sb, executionsB: _eb, types: _t, ...aNow } = after;
    const { schedulesB: _sb0, executionsB: _eb0, types: _t0, ...aBefore } = before;
    expect(aNow).toEqual(aBefore);
    expect(after.types.filter((t) => (t as { namespace: string }).namespace === nsA)).toEqual(before.types.filter((t) => (t as { namespace: string }).namespace === nsA));
    // A's workflow still takes any input: B's registered schema is B's.
    const ok = await api("POST", "/v1/workflows/schedules/preview", { cron: "0 9 * * *" }, keys.appA.key);
    expect(ok.status).toBe(200);
  }, 30_000);
});

describe("the rightful keys still work (so every 401/403/404 above was the key's fault, not a dead object)", () => {
  it("A's tokens, schedule and queued task are live for A's keys", async () => {
    const hb = await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: at1, details: { ok: true } }, keys.workerA.key);
    expect(hb.status, JSON.stringify(hb.body)).toBe(200);
    expect(hb.body).toEqual({ cancel_requested: false });
    const done = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt2, commands: [{ type: "complete_workflow", result: "fine" }] }, keys.workerA.key);
    expect(done.body).toEqual({ status: "accepted" });
    // e3's task was never handed to B's poller.
    const wt3 = await pollAs(keys.workerA, "workflow");
    expect(wt3.status).toBe(200);
    expect(wt3.body.execution_id).toBe(e3);
    const paused = await api("POST", `/v1/workflows/schedules/${enc(sidA)}/pause`, { note: "rightful" }, keys.appA.key);
    expect(paused.status).toBe(200);
    expect(paused.body.version).toBe(baseline.schedule.body.version + 1);
    // adminA manages its own namespace's keys.
    expect((await api("DELETE", `/v1/admin/keys/${keys.victimA.key_id}`, undefined, keys.adminA.key)).status).toBe(204);
    expectProblem(await api("GET", "/v1/workflows/schedules", undefined, keys.victimA.key), 401, "revoked_key", "victim key after revocation");
    // The operator (dev key, namespace default) manages every namespace.
    expect((await api("GET", `/v1/admin/keys?namespace=${nsB}`)).status).toBe(200);
  }, 30_000);
});

describe("tokens: only the issued spelling (src/core/crypto.ts)", () => {
  // base64url's last character of a 43-character signature carries 2 unused bits, so forgiving
  // decoding alone would accept 4 spellings of every token; verifyToken re-encodes the signature and
  // refuses any spelling but the one issued.
  it("a token whose last character differs only in base64 padding bits is unknown (404)", async () => {
    const last = at1.length - 1;
    const t = at1.slice(0, last) + ALPHABET[ALPHABET.indexOf(at1[last]!) ^ 1]!;
    const r = await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: t }, keys.workerA.key);
    expect(r.status).toBe(404);
  });
});
