import { Hono } from "hono";
import { z } from "zod";
import {
  BackfillRequest,
  CreateScheduleRequest,
  Identifier,
  IdReference,
  PauseRequest,
  ResumeRequest,
  PreviewRequest,
  SCHEDULE_STATUSES,
  ScheduleSpecInput,
  TriggerRequest,
  UpdateScheduleRequest,
  toRfc3339,
  MAX_TIMESTAMP_MS,
  type ScheduleSummary,
} from "@sundial/sdk/protocol";
import { clock } from "../clock.ts";
import { describeSpec } from "../core/describe-spec.ts";
import { defaultScheduleId } from "../core/code-schedule-claims.ts";
import { ConflictError, ValidationError } from "../core/errors.ts";
import { upcoming } from "../core/fire-times.ts";
import { schedulesPerNamespaceLimit } from "../core/limits.ts";
import { compileSpec } from "../core/spec.ts";
import { CLAIM_ABANDONED_AFTER_MS, listSchedules, lookupForCreate, releaseScheduleClaim } from "../index/schedules.ts";
import { scheduleStub } from "../objects/names.ts";
import { unwrap } from "../objects/rpc.ts";
import { heldByCode, idHeldByCode } from "../objects/schedule-rows.ts";
import { requireKind, type AppEnv } from "./auth.ts";
import { decodeCursor, encodeCursor, PageSize, PageToken, SchedulesCursor } from "./pagination.ts";
import { fromZodError } from "./problem.ts";
import { parseWith, queryFilter, queryId, readJson, readJsonObject, readQuery } from "./validate.ts";
import { checkInputAgainst, checkPayloadSize, checkWorkflowInput, readRegistration } from "./workflow-input.ts";
import { mergeSpecPatch, SPEC_PATCH_KEYS } from "./spec-patch.ts";
import { compileChecked, type SentCrons } from "./spec-bounds.ts";

/** /v1/workflows/schedules: the seeds' endpoints plus describe, update, pause/resume, trigger, backfill, preview. */
export const scheduleRoutes = new Hono<AppEnv>();
scheduleRoutes.use("*", requireKind("app"));

const ListQuery = z.strictObject({
  key: queryFilter(queryId(Identifier)),
  workflow: queryFilter(z.string().max(200)),
  status: queryFilter(z.enum(SCHEDULE_STATUSES)),
  source: queryFilter(z.enum(["api", "code"])),
  page_size: PageSize,
  page_token: PageToken,
});

function scheduleId(raw: string): string {
  const r = IdReference.safeParse(raw);
  if (!r.success) throw new ValidationError(`schedule_id: ${r.error.issues[0]?.message ?? "invalid"}`, { field: "schedule_id" });
  return r.data;
}

/**
 * The version an If-Match header asks for. `*` matches any current schedule (RFC 9110), so it asks
 * for none; otherwise it must be the ETag describe and update send, `"3"`, or the `W/"3"` a
 * compressing proxy turns it into. Anything else (`""`, `"0x2"`, a list) is a 422 naming the header.
 */
function ifMatchVersion(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  const m = /^(?:W\/)?"([1-9][0-9]{0,14})"$/.exec(header.trim());
  if (!m) throw new ValidationError(`If-Match must be * or the schedule's ETag, e.g. "3", not ${JSON.stringify(header)}`, { field: "If-Match" });
  return Number(m[1]);
}

/** Checks a spec can be computed (cron, zone, bounds) before anything is written; `sent`: the request's cron fields, to name a bad `cron` as such. */
function checkSpec(spec: Parameters<typeof compileSpec>[0], sent: SentCrons): void {
  const now = clock.now();
  compileChecked(spec, now, now, sent);
}

scheduleRoutes.post("/preview", async (c) => {
  const sent = await readJsonObject(c);
  const body = parseWith(PreviewRequest, sent);
  const now = clock.now();
  // Preview as if the schedule had been created at `after`, so a past `after` shows past fires too.
  const spec = compileChecked(body.spec, Math.min(now, body.after ?? now), body.after ?? now, sent);
  const fires = upcoming(spec, body.schedule_id, body.after ?? now, body.count);
  return c.json({
    description: describeSpec(body.spec),
    timezone: body.spec.timezone,
    fire_times: fires.map((f) => ({ nominal: toRfc3339(f.nominal), actual: toRfc3339(f.actual) })),
  });
});

scheduleRoutes.post("/", async (c) => {
  const p = c.get("principal");
  const sent = await readJsonObject(c);
  const cmd = parseWith(CreateScheduleRequest, sent);
  checkSpec(cmd.spec, sent);
  checkPayloadSize(cmd.input, "input");
  const limit = schedulesPerNamespaceLimit(c.env.SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE);
  const wanted = cmd.schedule_id ?? defaultScheduleId(cmd.workflow, cmd.key);
  // One round trip: the registration, who holds (workflow, key), the namespace's count, and the
  // claim of the pair when nobody does (sequential reads were most of a create's latency).
  const found = await readRegistration(
    p.namespace,
    cmd.workflow,
    () => lookupForCreate(c.env.DB, { namespace: p.namespace, scheduleId: wanted, workflow: cmd.workflow, key: cmd.key, source: "api", now: clock.now(), limit }),
    (f) => f.type,
  );
  let r;
  let id = wanted;
  try {
    const registered = checkInputAgainst(found.type, cmd.workflow, cmd.input);
    if (cmd.execution_timeout === undefined && registered.executionTimeout !== null) cmd.execution_timeout = registered.executionTimeout;
    const taskQueue = cmd.task_queue ?? registered.taskQueue;
    if (!found.claimed && found.holder !== null) {
      // A code schedule's pair: its object refuses the create too, but may not exist yet (a
      // registration's claim), and the create would make it, as an API schedule.
      if (found.holderSource === "code") throw heldByCode(cmd.workflow, cmd.key, found.holder);
      // Polos' upsert: an existing (workflow, key) is updated in place and keeps its id.
      if (cmd.schedule_id !== undefined && found.holder !== cmd.schedule_id) {
        throw new ConflictError(`workflow ${cmd.workflow} key ${cmd.key} belongs to schedule ${found.holder}: create it without schedule_id (or with that one) to update it`, "schedule_key_taken", { field: "schedule_id" });
      }
      id = found.holder;
    } else if (found.idHolder?.source === "code") {
      // The id of a schedule declared in code, of another pair (an API create of key `code-N` has
      // the default id `{workflow}:code-N`, the id of the workflow's N-th code schedule, which may
      // declare another key). Refused here, not only by the object: the index row may be a
      // registration's claim whose object is not written yet, and the create would make it first.
      throw idHeldByCode(id, found.idHolder, cmd.schedule_id === undefined);
    } else if (!found.claimed && found.count >= limit && !found.idTaken) {
      throw new ValidationError(`this namespace already has ${limit} schedules (the limit)`, { field: "schedule_id", code: "limit_exceeded" });
    }
    // Otherwise this create claimed the pair, or its id belongs to another (workflow, key), also in a
    // full namespace (no new schedule): the object refuses that, 409 schedule_exists.
    r = unwrap(await scheduleStub(c.env, p.namespace, id).upsert({ ...cmd, task_queue: taskQueue, namespace: p.namespace, schedule_id: id, source: "api" }));
  } catch (err) {
    // A refused create changes nothing: its claim goes (unless the object wrote its own row meanwhile).
    if (found.claimed) await releaseScheduleClaim(c.env.DB, p.namespace, id).catch((e: unknown) => console.warn("releasing a schedule claim failed", e));
    throw err;
  }
  c.header("location", `/v1/workflows/schedules/${encodeURIComponent(id)}`);
  return c.json(r.schedule, r.created ? 201 : 200);
});

scheduleRoutes.get("/", async (c) => {
  const p = c.get("principal");
  const q = readQuery(c, ListQuery);
  const after = q.page_token ? decodeCursor(q.page_token, SchedulesCursor).i : undefined;
  const rows = await listSchedules(c.env.DB, { namespace: p.namespace, key: q.key, workflow: q.workflow, status: q.status, source: q.source, afterId: after, limit: q.page_size + 1 });
  const page = rows.slice(0, q.page_size);
  // A time past the last instant RFC 3339 spells is read as that instant: a release before the
  // bound on retry_delay_seconds indexed retries due millions of years ahead (the schedule's next
  // write indexes the retry within the bound), and toRfc3339 throws for one past the last JavaScript date.
  const iso = (ms: number | null) => (ms === null ? null : toRfc3339(Math.min(ms, MAX_TIMESTAMP_MS)));
  const schedules: ScheduleSummary[] = page.map((r) => ({
    schedule_id: r.schedule_id,
    workflow: r.workflow,
    key: r.key,
    status: r.status as ScheduleSummary["status"],
    source: r.source as ScheduleSummary["source"],
    next_fire_at: iso(r.next_fire_at),
    next_run_at: iso(r.next_run_at),
    last_fire_at: iso(r.last_fire_at),
    current_repeat: r.current_repeat,
    current_retry: r.current_retry,
    created_at: toRfc3339(r.created_at),
  }));
  const last = page[page.length - 1];
  return c.json({ schedules, next_page_token: rows.length > q.page_size && last ? encodeCursor(SchedulesCursor, { i: last.schedule_id }) : null });
});

scheduleRoutes.get("/:id", async (c) => {
  const p = c.get("principal");
  const s = unwrap(await scheduleStub(c.env, p.namespace, scheduleId(c.req.param("id"))).get());
  c.header("etag", `"${s.version}"`);
  return c.json(s);
});

scheduleRoutes.patch("/:id", async (c) => {
  const p = c.get("principal");
  const id = scheduleId(c.req.param("id"));
  const body = await readJson(c, UpdateScheduleRequest);
  const headerVersion = ifMatchVersion(c.req.header("if-match"));
  if (body.version !== undefined && headerVersion !== undefined && body.version !== headerVersion) {
    throw new ValidationError(`If-Match asks for version ${headerVersion} and the body's version for ${body.version}: send one of them`, { field: "If-Match" });
  }
  const stub = scheduleStub(c.env, p.namespace, id);
  const current = unwrap(await stub.get());
  const expected = body.version ?? headerVersion ?? null;
  const touchesSpec = SPEC_PATCH_KEYS.some((k) => k in body && body[k] !== undefined);
  let spec;
  if (touchesSpec) {
    const parsed = ScheduleSpecInput.safeParse(mergeSpecPatch(current.spec, body));
    if (!parsed.success) throw fromZodError(parsed.error);
    spec = parsed.data;
    checkSpec(spec, body);
  }
  if (body.input !== undefined) await checkWorkflowInput(c.env.DB, p.namespace, current.workflow, body.input);
  const { catchup_window_seconds, overlap, retry_max, retry_delay_seconds, on_failure, pause_on_failure } = body;
  // Merged by the object into the policy it holds then: fields not given stay as they are by then.
  const policy = [body.policy, { catchup_window_seconds, overlap, retry_max, retry_delay_seconds, on_failure, pause_on_failure }];
  // Merging a partial spec reads the current one: guard against a concurrent change in between.
  const version = expected ?? (touchesSpec ? current.version : null);
  const updated = unwrap(
    await stub.update(
      {
        ...(spec ? { spec } : {}),
        policy,
        ...(body.input !== undefined ? { input: body.input } : {}),
        ...(body.task_queue ? { task_queue: body.task_queue } : {}),
        ...(body.execution_timeout !== undefined ? { execution_timeout: body.execution_timeout } : {}),
        ...(body.note !== undefined ? { note: body.note } : {}),
      },
      version,
      body.version === undefined && headerVersion !== undefined ? "If-Match" : "version",
    ),
  );
  c.header("etag", `"${updated.version}"`);
  return c.json(updated);
});

scheduleRoutes.delete("/:id", async (c) => {
  const p = c.get("principal");
  const id = scheduleId(c.req.param("id"));
  const r = await scheduleStub(c.env, p.namespace, id).remove();
  // No object: a claim left by a create cut off before its object existed (the client went away)
  // is dropped, so it no longer holds its (workflow, key) or counts against the limit — not one
  // so young that its create may still be under way.
  if (!r.ok && r.error.code === "schedule_not_found") await releaseScheduleClaim(c.env.DB, p.namespace, id, clock.now() - CLAIM_ABANDONED_AFTER_MS);
  unwrap(r);
  return c.body(null, 204);
});

scheduleRoutes.post("/:id/pause", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, PauseRequest, { optional: true });
  return c.json(unwrap(await scheduleStub(c.env, p.namespace, scheduleId(c.req.param("id"))).pause(body.note)));
});

scheduleRoutes.post("/:id/resume", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, ResumeRequest, { optional: true });
  return c.json(unwrap(await scheduleStub(c.env, p.namespace, scheduleId(c.req.param("id"))).resume(body.note, body.catch_up)));
});

scheduleRoutes.post("/:id/trigger", async (c) => {
  const p = c.get("principal");
  const id = scheduleId(c.req.param("id"));
  const body = await readJson(c, TriggerRequest, { optional: true });
  const stub = scheduleStub(c.env, p.namespace, id);
  if (body.input !== undefined) {
    // A retry (its request_id answered already) gets the first answer whatever input it sends,
    // also one the workflow's schema now refuses: it changes nothing.
    const { workflow, seen } = unwrap(await stub.triggerLookup(body.request_id));
    if (seen) return c.json(seen, 202);
    await checkWorkflowInput(c.env.DB, p.namespace, workflow, body.input);
  }
  const r = unwrap(await stub.trigger(body.input, body.overlap, body.request_id));
  return c.json(r, 202);
});

scheduleRoutes.post("/:id/backfill", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, BackfillRequest);
  // The range is the schedule's to check, after the request_id: a retry gets the first answer whatever range it names.
  const r = unwrap(await scheduleStub(c.env, p.namespace, scheduleId(c.req.param("id"))).backfill(body.start_at, body.end_at, body.overlap, body.request_id));
  return c.json(r, 202);
});
