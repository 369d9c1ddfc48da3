import { beforeAll, describe, expect, it } from "vitest";
import { ALPHABET, CASES, flipAt, ROUTES, variants, type Other } from "./auth-matrix-cases.ts";
import { at1, baseline, e1, e2, e3, enc, expectUnchanged, keys, nsA, nsB, pollAs, setUpTenants, sidA, snapshot, wfA, wt2, type Key } from "./auth-matrix-fixture.ts";
import { createApp } from "../../src/api/app.ts";
import { api, uid } from "./helpers.ts";

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

beforeAll(setUpTenants, 60_000);

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

  it("the OpenAPI document lists every route the app serves (health and the document itself aside), so none escapes the matrix", () => {
    // Hono names parameters `:id`, the document `{execution_id}`: compare the shapes.
    const shape = (route: string) => route.replace(/:\w+|\{\w+\}/g, "{}");
    const documented = new Set(ROUTES.map(shape));
    const served = createApp().routes.filter((r) => r.method !== "ALL").map((r) => shape(`${r.method} ${r.path}`));
    const missing = [...new Set(served)].filter((r) => !documented.has(r) && r !== "GET /v1/health" && r !== "GET /openapi.json");
    expect(missing).toEqual([]);
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