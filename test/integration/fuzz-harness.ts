import { env } from "cloudflare:workers";
import fc from "fast-check";
import { expect } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, DEV_KEY, uid } from "./helpers.ts";
import { bodyFor, identifierArb, invalidJsonArb, invalidUtf8Arb, nonObjectJsonArb, queryArb, segmentArb, unknownKeyArb, weird, type Schema } from "./fuzz-arbitraries.ts";

/**
 * The harness of the API fuzz suite (fuzz.test.ts): the operations read from the served OpenAPI
 * document, the objects of namespace `default` whose state must not move and of the scratch
 * namespace, sending a request with the checks every case makes (and counting it), the snapshot of
 * namespace `default`, and the path and body generators that need the operations or those objects.
 */

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
export const enc = encodeURIComponent;

export interface Op {
  method: string;
  template: string;
  params: string[];
  query: string[];
  schema: Schema | null;
}

/**
 * Whether an empty body could be a valid request: bodies with no required field may be omitted
 * (pause, cancel, signals, queries, updates…), and an empty one would then really act.
 */
export const emptyMayBeValid = (op: Op): boolean => typeof op.schema === "object" && op.schema !== null && !(op.schema.required?.length > 0);

export let ops: Op[] = [];
export let bodyOps: Op[] = [];
export const main = { schedule: uid("fz-sched"), execution: uid("fz-exec"), workflow: uid("fz-wf"), queue: uid("fz-q") };
export const scratch = { ns: uid("fz-scratch"), key: "", schedule: uid("fz-scratch-sched") };
export let baseline: Awaited<ReturnType<typeof mainSnapshot>>;
export let cases = 0;

export interface Req {
  method: string;
  path: string;
  body?: unknown;
  key?: string | null;
  headers?: Record<string, string>;
}

export function show(req: Req): string {
  const b = req.body === undefined ? "" : req.body instanceof Uint8Array ? `bytes[${req.body.length}]` : typeof req.body === "string" ? req.body : JSON.stringify(req.body);
  return `${req.method} ${req.path.slice(0, 300)} ${b.length > 300 ? `${b.slice(0, 300)}…(${b.length})` : b} ${req.headers ? JSON.stringify(req.headers) : ""}`;
}

async function send(req: Req) {
  cases += 1;
  return api(req.method, req.path, req.body, req.key === undefined ? DEV_KEY : req.key, { headers: req.headers ?? {} });
}

/** The assertions every single case makes. */
function checkResponse(req: Req, res: { status: number; body: any; headers: Headers }, opts: { mustReject?: boolean } = {}): void {
  const what = `${show(req)} → ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`;
  expect(res.status, what).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get("content-type"), what).toBe("application/problem+json");
    if (req.method !== "HEAD") {
      expect(typeof res.body?.code, what).toBe("string");
      expect(res.body.status, what).toBe(res.status);
      expect(typeof res.body.detail, what).toBe("string");
      if ([400, 413, 422].includes(res.status)) expect(typeof res.body.field, what).toBe("string");
    }
  }
  if (opts.mustReject) expect(res.status, `accepted a request built to be invalid: ${what}`).toBeGreaterThanOrEqual(400);
}

/**
 * A body whose `wait_seconds` is a valid wait (up to 60 s) waits not at all: an accepted start
 * with no worker would hold its request that long, and a few of them made this suite's run time
 * depend on the seed (13 s to over 180 s). Values outside the range stay, to be rejected.
 */
export function noWait<T>(body: T): T {
  if (!body || typeof body !== "object" || Array.isArray(body)) return body;
  const w = (body as Record<string, unknown>).wait_seconds;
  return typeof w === "number" && w > 0 && w <= 60 ? { ...body, wait_seconds: 0 } : body;
}

export async function sendAndCheck(req: Req, opts: { mustReject?: boolean } = {}) {
  const res = await send(req);
  checkResponse(req, res, opts);
  return res;
}

/** What must not move in namespace `default`, read with the dev key. */
async function mainSnapshot() {
  const get = async (path: string) => {
    const r = await api("GET", path);
    return { status: r.status, body: r.body };
  };
  const [schedules, executions, schedule, execution, history, keys] = await Promise.all([
    get("/v1/workflows/schedules?page_size=500"),
    get("/v1/workflows/executions?page_size=500"),
    get(`/v1/workflows/schedules/${enc(main.schedule)}`),
    get(`/v1/workflows/executions/${enc(main.execution)}`),
    get(`/v1/workflows/executions/${enc(main.execution)}/history?page_size=500`),
    get("/v1/admin/keys"),
  ]);
  const types = (await env.DB.prepare("SELECT * FROM workflow_types WHERE namespace = 'default' ORDER BY name").all()).results;
  return { schedules, executions, schedule, execution, history, keys, types };
}

export async function expectMainUnchanged(after: string): Promise<void> {
  expect(await mainSnapshot(), `namespace default changed during ${after}`).toEqual(baseline);
}

/** Creates the objects of namespace `default` and of the scratch namespace, and records the baseline once the index settled. */
export async function setUpFuzzNamespaces(): Promise<void> {
  clock.now = () => T0;
  const doc = await api("GET", "/openapi.json");
  expect(doc.status).toBe(200);
  for (const [template, methods] of Object.entries(doc.body.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as { name: string; in: string }[];
      const schema = op.requestBody?.content?.["application/json"]?.schema ?? null;
      ops.push({ method: method.toUpperCase(), template, params: params.filter((p) => p.in === "path").map((p) => p.name), query: params.filter((p) => p.in === "query").map((p) => p.name), schema });
    }
  }
  bodyOps = ops.filter((o) => o.schema !== null);
  expect(ops.length).toBeGreaterThanOrEqual(28);

  const s = await api("POST", "/v1/workflows/schedules", { schedule_id: main.schedule, workflow: main.workflow, key: "fz", cron: "0 0 1 1 *", input: { a: 1 }, task_queue: main.queue });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  // A running execution whose first workflow task waits on a queue nobody polls.
  const x = await api("POST", "/v1/workflows/executions", { workflow: main.workflow, execution_id: main.execution, task_queue: main.queue, input: { b: 2 } });
  expect(x.status, JSON.stringify(x.body)).toBe(201);

  const k = await api("POST", "/v1/admin/keys", { kind: "admin", namespace: scratch.ns, description: "fuzz scratch" });
  expect(k.status).toBe(201);
  scratch.key = k.body.key;
  const ss = await api("POST", "/v1/workflows/schedules", { schedule_id: scratch.schedule, workflow: "scratch-wf", key: "scratch", interval_seconds: 3600 }, scratch.key);
  expect(ss.status).toBe(201);

  // The D1 index is written behind the objects: wait until two reads in a row agree.
  let prev = JSON.stringify(await mainSnapshot());
  for (let i = 0; ; i++) {
    await new Promise((r) => setTimeout(r, 40));
    const next = JSON.stringify(await mainSnapshot());
    if (next === prev && next.includes(main.execution) && next.includes(`"schedule_id":"${main.schedule}"`)) break;
    if (i > 100) throw new Error("namespace default never settled");
    prev = next;
  }
  baseline = await mainSnapshot();
  expect(baseline.execution.body.status).toBe("running");
  expect(baseline.schedules.body.schedules).toHaveLength(1);
}

/** A path parameter: a real object (when allowed), an id-looking string, or a hostile segment. */
function paramArb(name: string, real: string | null): fc.Arbitrary<string> {
  const options: fc.Arbitrary<string>[] = [identifierArb.map((v) => enc(String(v))), segmentArb];
  if (real) options.push(fc.constant(enc(real)), fc.constant(enc(real)));
  if (name === "key_id") options.push(fc.stringMatching(/^k[A-Za-z0-9]{12}$/));
  return fc.oneof(...options);
}

export function realIdFor(param: string, ns: "main" | "scratch"): string | null {
  if (param === "schedule_id") return ns === "main" ? main.schedule : scratch.schedule;
  if (param === "execution_id") return ns === "main" ? main.execution : null;
  return null;
}

/** A path for an operation, with a query string; results never wait (wait_seconds only in safe values). */
export function pathArb(op: Op, ns: "main" | "scratch", allowReal: boolean): fc.Arbitrary<string> {
  const params = op.params.map((p) => paramArb(p, allowReal ? realIdFor(p, ns) : null));
  const known = op.query.filter((q) => q !== "wait_seconds");
  const wait = op.query.includes("wait_seconds") ? fc.option(fc.constantFrom("0", "-1", "61", "abc", "NaN", "Infinity", "1e400", "", "0.0", "-0"), { nil: undefined }) : fc.constant(undefined);
  return fc.tuple(fc.tuple(...params), fc.oneof({ weight: 3, arbitrary: queryArb(known) }, { weight: 1, arbitrary: fc.constant("") }), wait).map(([values, q, w]) => {
    let i = 0;
    const path = op.template.replace(/\{\w+\}/g, () => values[i++]!);
    const query = w === undefined ? q : `${q}${q ? "&" : "?"}wait_seconds=${enc(w)}`;
    return path + query;
  });
}

/** A body no route accepts: a strict schema's fields plus one it does not have, or not an object at all. */
export function invalidBodyArb(op: Op): fc.Arbitrary<unknown> {
  const withUnknown = bodyFor(op.schema ?? true).chain((b) => fc.tuple(unknownKeyArb, weird).map(([k, v]) => ({ ...b, [k]: v })));
  const arbs: fc.Arbitrary<unknown>[] = [withUnknown, withUnknown, withUnknown, withUnknown, nonObjectJsonArb, invalidJsonArb, invalidUtf8Arb];
  if (!emptyMayBeValid(op)) arbs.push(fc.constant(""));
  return fc.oneof(...arbs);
}

export const mutating = (m: string) => !["GET", "HEAD", "OPTIONS"].includes(m);
