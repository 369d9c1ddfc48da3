import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, DEV_KEY, uid } from "./helpers.ts";
import { eventually } from "./schedule-helpers.ts";

/**
 * The two tenants of auth-matrix.test.ts: namespace A's objects that every rejected request would
 * damage, namespace B's keys, and the snapshot of everything the rightful keys can see, compared
 * after each request. The clock is pinned in 2027 (see the test file).
 */

const T0 = Date.parse("2027-03-01T12:00:00.000Z");

export interface Key {
  key: string;
  key_id: string;
  namespace: string;
  kind: "app" | "worker" | "admin";
}

export const nsA = uid("tenant-a");
export const nsB = uid("tenant-b");
export const wfA = uid("wf-a");
export const qA = uid("q-a");
export const sidA = uid("sched-a");
/** A workflow only namespace A registered (GET /v1/workflows/types). */
export const typeA = uid("type-a");
export const e1 = uid("exec-a1"); // an activity attempt is running (token at1)
export const e2 = uid("exec-a2"); // a workflow task is running (token wt2)
export const e3 = uid("exec-a3"); // a workflow task is queued, nobody polled it yet

export const keys = {} as Record<"appA" | "workerA" | "adminA" | "victimA" | "appB" | "workerB" | "adminB" | "revokedApp" | "revokedWorker" | "revokedAdmin", Key>;
export let wt2 = "";
export let at1 = "";
export let baseline: Snapshot;

async function createKey(kind: Key["kind"], namespace: string): Promise<Key> {
  const r = await api("POST", "/v1/admin/keys", { kind, namespace, description: `auth-matrix ${kind}` });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as Key;
}

export const enc = encodeURIComponent;

/** Everything the rightful keys can see of namespace A (and of B's lists), read with those keys. */
export async function snapshot() {
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
export type Snapshot = Awaited<ReturnType<typeof snapshot>>;

export async function expectUnchanged(what: string): Promise<void> {
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

export async function pollAs(key: Key, kind: "workflow" | "activity") {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: qA, kind, identity: "rightful-worker", wait_seconds: 1 }, key.key);
}

/** Namespace A's keys, schedule and three executions (an activity running, a workflow task running, one queued), namespace B's keys, revoked keys, and the baseline once the index settled. */
export async function setUpTenants(): Promise<void> {
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
}
