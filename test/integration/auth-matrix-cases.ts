import { expect } from "vitest";
import { openApiDocument } from "../../src/api/openapi.ts";
import { at1, e1, e2, e3, enc, keys, nsA, nsB, qA, sidA, typeA, wfA, wt2, type Key } from "./auth-matrix-fixture.ts";
import { DEV_KEY, uid } from "./helpers.ts";

/**
 * The table of auth-matrix.test.ts: for every route of the OpenAPI document (health aside), a
 * request that would succeed for the rightful key and what namespace B's key gets instead; and the
 * ways to be refused (no key, malformed, wrong secret, unknown id, revoked, wrong kind) derived from
 * a rightful key.
 */

export type Kind = "app" | "worker" | "admin" | "any";

/**
 * What namespace B's key gets when it addresses namespace A: a 404 for A's objects; for collection
 * routes, B's own (empty) view; `write` routes are exercised in their own test below.
 */
export type Other =
  | { key: "appB" | "workerB" | "adminB"; status: 404; code: string; query?: string; body?: unknown }
  | { key: "appB" | "workerB" | "adminB"; status: 200 | 204; query?: string; check?: (body: any) => void }
  | { write: true };

export interface RouteCase {
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
export const CASES: Record<string, RouteCase> = {
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
  "GET /v1/workflows/task-queues/{task_queue}": {
    kind: "app",
    path: () => `/v1/workflows/task-queues/${qA}`,
    other: { key: "appB", status: 200, check: (b) => expect([b.workflow_tasks.backlog, b.activity_tasks.backlog, b.workflow_tasks.pollers, b.activity_tasks.pollers]).toEqual([0, 0, [], []]) },
  },
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
export const ROUTES = documentedRoutes().filter((r) => r !== "GET /v1/health");

export interface Variant {
  name: string;
  headers: Record<string, string>;
  status: number;
  code: string;
}

/** The rightful key of a route: what the rejected variants are derived from. */
const rightful = (kind: Kind): Key => (kind === "worker" ? keys.workerA : kind === "admin" ? keys.adminA : keys.appA);
const revokedOf = (kind: Kind): Key => (kind === "worker" ? keys.revokedWorker : kind === "admin" ? keys.revokedAdmin : keys.revokedApp);

/** Flips one base64url character so its decoded bits change (the top bit of its 6-bit value). */
export const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
export function flipAt(text: string, i: number): string {
  const v = ALPHABET.indexOf(text[i]!);
  const repl = v < 0 ? "A" : ALPHABET[v ^ 32]!;
  return text.slice(0, i) + repl + text.slice(i + 1);
}

export function variants(kind: Kind): Variant[] {
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
