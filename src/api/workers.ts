import { Hono } from "hono";
import { RegisterWorkerRequest, type RegisterWorkerResponse } from "@sundial/sdk/protocol";
import { clock } from "../clock.ts";
import { recordWorkflowTypes, upsertWorkflowTypes, getWorkflowType, undoWorkflowTypeIntents } from "../index/workflow-types.ts";
import { requireKind, type AppEnv } from "./auth.ts";
import { applyCodeSchedules, indexFailedPartway, PENDING_DEFINITION, parseCodeSchedules, planCodeSchedules, type CodeSchedulePlan, type RegistrationOutcome } from "./code-schedules.ts";
import { inputSchemaProblem } from "./input-schema.ts";
import { isD1Error } from "./problem.ts";
import { ValidationError } from "../core/errors.ts";
import { firstScheduleOverRegistrationCap, MAX_CODE_SCHEDULES_PER_REGISTRATION } from "../core/code-schedule-limits.ts";
import { schedulesPerNamespaceLimit } from "../core/limits.ts";
import { readJson } from "./validate.ts";
import { forgetRegistration } from "./workflow-input.ts";

/** /v1/workflows/workers: registration (workflow types, input schemas, schedules in code) and whoami. */
export const workerRoutes = new Hono<AppEnv>();

workerRoutes.get("/whoami", (c) => {
  const p = c.get("principal");
  const url = new URL(c.req.url);
  return c.json({ scheduler_url: url.origin, namespace: p.namespace, tls: url.protocol === "https:", key_id: p.keyId, key_kind: p.kind });
});

workerRoutes.post("/register", requireKind("worker"), async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, RegisterWorkerRequest);
  const now = clock.now();
  // Validate everything first: a bad workflow, schema or schedule rejects the registration and writes nothing.
  for (const [i, w] of body.workflows.entries()) {
    const first = body.workflows.findIndex((o) => o.name === w.name);
    if (first !== i) throw new ValidationError(`workflows.${i}.name: ${w.name} is already registered as workflows.${first}`, { field: `workflows.${i}.name`, code: "duplicate_workflow" });
    const bad = w.input_schema === undefined ? null : inputSchemaProblem(w.input_schema, `workflows.${i}.input_schema`);
    if (bad) throw new ValidationError(`${bad.field}: ${bad.message}`, { field: bad.field, code: "invalid_input_schema" });
  }
  const overCap = firstScheduleOverRegistrationCap(body.workflows.map((w) => w.schedules.length));
  if (overCap) {
    throw new ValidationError(`${overCap}: a registration declares at most ${MAX_CODE_SCHEDULES_PER_REGISTRATION} schedules in code, over all its workflows (the limit)`, { field: overCap, code: "limit_exceeded" });
  }
  const parsed = body.workflows.map((w, i) => parseCodeSchedules(w, i, body.task_queue, now));
  // Then every read and conflict check, for every workflow, before the first write.
  const plans: { previous: Awaited<ReturnType<typeof getWorkflowType>>; plan: CodeSchedulePlan }[] = [];
  for (const [i, w] of body.workflows.entries()) {
    const previous = await getWorkflowType(c.env.DB, p.namespace, w.name);
    plans.push({ previous, plan: await planCodeSchedules(c.env, p.namespace, w, i, parsed[i]!, previous, { buildId: body.build_id ?? null, taskQueue: body.task_queue }, now) });
  }
  const outcomes: RegistrationOutcome[] = [];
  const rows = [];
  for (const [i, w] of body.workflows.entries()) {
    const { previous, plan } = plans[i]!;
    const outcome = plan.outcome;
    outcomes.push(outcome);
    // A registration kept back as a conflict changes nothing about the workflow type either: its
    // input schema, task queue and timeout are the other build's, and writing them would flap
    // between builds what the kept-back schedules do not.
    if (!outcome.applied) continue;
    rows.push({
      namespace: p.namespace,
      name: w.name,
      task_queue: body.task_queue,
      // What this worker declares: a workflow whose code no longer has an input schema has none.
      input_schema: w.input_schema === undefined ? null : JSON.stringify(w.input_schema),
      build_id: body.build_id ?? null,
      identity: body.identity,
      definition_hash: plan.hash,
      execution_timeout: w.execution_timeout ?? null,
      updated_at: now,
    });
  }
  // Before the first schedule is removed or written, the changed workflows are recorded as this
  // build's, definition pending: if D1 fails before the final record, no registration (a stale
  // build's above all) can read the old record as "unchanged" while the schedules hold this
  // definition, and this build's retry applies and records it.
  const changing = new Set(plans.filter(({ plan }) => plan.upserts.length + plan.removals.length > 0).map(({ plan }) => plan.outcome.workflow));
  const intents = rows.filter((r) => changing.has(r.name)).map((r) => ({ ...r, definition_hash: PENDING_DEFINITION }));
  // New code schedules count against the namespace's limit, as a REST create's do: their claims
  // are taken with it, in one D1 transaction, before anything is written.
  await applyCodeSchedules(c.env, p.namespace, plans.map(({ plan }) => plan), schedulesPerNamespaceLimit(c.env.SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE), now, {
    write: () => upsertWorkflowTypes(c.env.DB, intents),
    // Refused (a 4xx) after the intents were written: nothing of this registration is recorded,
    // and what this isolate read meanwhile (the intents) is forgotten.
    undo: async () => {
      await undoWorkflowTypeIntents(c.env.DB, intents.map((intent) => ({ intent, previous: plans.find(({ plan }) => plan.outcome.workflow === intent.name)!.previous })));
      for (const r of intents) forgetRegistration(r.namespace, r.name);
    },
  });
  try {
    // Each row as far as it is still true: a registration that changed the same schedules at once
    // leaves the definition contested rather than recorded (see recordWorkflowTypes).
    const previousOf = (name: string) => plans.find(({ plan }) => plan.outcome.workflow === name)!.previous;
    await recordWorkflowTypes(c.env.DB, rows.map((row) => ({ row, intent: changing.has(row.name), previous: previousOf(row.name) })));
  } catch (err) {
    // The schedule objects already hold the change, so the generic 503's "nothing was changed"
    // would be untrue. The row is written last on purpose: until it is, the stored definition is
    // pending, so a retry applies the same definition again (an unchanged spec keeps its plan) and
    // then records it.
    if (!isD1Error(err) || changing.size === 0) throw err;
    throw indexFailedPartway([...changing], true, err);
  }
  for (const r of rows) forgetRegistration(r.namespace, r.name);
  const conflicts = outcomes.filter((o) => o.conflict).map((o) => ({ workflow: o.workflow, message: o.conflict! }));
  for (const conflict of conflicts) console.warn(`sundial: conflicting schedule registration: ${conflict.message}`);
  return c.json({
    namespace: p.namespace,
    task_queue: body.task_queue,
    workflows: outcomes.map((o) => ({ name: o.workflow, schedules: o.schedules, applied: o.applied })),
    activities: body.activities,
    conflicts,
  } satisfies RegisterWorkerResponse);
});
