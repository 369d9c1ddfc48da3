import { Hono } from "hono";
import { RegisterWorkerRequest } from "@sundial/sdk/protocol";
import { clock } from "../clock.ts";
import { upsertWorkflowTypes, getWorkflowType } from "../index/workflow-types.ts";
import { requireKind, type AppEnv } from "./auth.ts";
import { applyCodeSchedules, definitionHash, parseCodeSchedules, type RegistrationOutcome } from "./code-schedules.ts";
import { readJson } from "./validate.ts";

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
  // Validate every declared schedule first: a bad one rejects the registration and writes nothing.
  const parsed = body.workflows.map((w, i) => parseCodeSchedules(w, i, body.task_queue, now));
  const outcomes: RegistrationOutcome[] = [];
  const rows = [];
  for (const [i, w] of body.workflows.entries()) {
    const previous = await getWorkflowType(c.env.DB, p.namespace, w.name);
    const outcome = await applyCodeSchedules(c.env, p.namespace, w, parsed[i]!, previous, body.build_id ?? null, now);
    outcomes.push(outcome);
    rows.push({
      namespace: p.namespace,
      name: w.name,
      task_queue: body.task_queue,
      input_schema: w.input_schema ? JSON.stringify(w.input_schema) : (previous?.input_schema ?? null),
      build_id: outcome.applied ? (body.build_id ?? null) : (previous?.build_id ?? null),
      identity: body.identity,
      definition_hash: outcome.applied ? definitionHash(w) : (previous?.definition_hash ?? ""),
      execution_timeout: w.execution_timeout ?? null,
      updated_at: outcome.applied ? now : (previous?.updated_at ?? now),
    });
  }
  await upsertWorkflowTypes(c.env.DB, rows);
  const conflicts = outcomes.filter((o) => o.conflict).map((o) => ({ workflow: o.workflow, message: o.conflict! }));
  for (const conflict of conflicts) console.warn(`sundial: conflicting schedule registration: ${conflict.message}`);
  return c.json({
    namespace: p.namespace,
    task_queue: body.task_queue,
    workflows: outcomes.map((o) => ({ name: o.workflow, schedules: o.schedules, applied: o.applied })),
    activities: body.activities,
    conflicts,
  });
});
