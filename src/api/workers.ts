import { Hono } from "hono";
import { RegisterWorkerRequest } from "@sundial/sdk/protocol";
import { clock } from "../clock.ts";
import { hash32 } from "../core/jitter.ts";
import { upsertWorkflowTypes } from "../index/workflow-types.ts";
import { requireKind, type AppEnv } from "./auth.ts";
import { readJson } from "./validate.ts";

/** /v1/workflows/workers: registration and whoami. */
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
  await upsertWorkflowTypes(
    c.env.DB,
    body.workflows.map((w) => ({
      namespace: p.namespace,
      name: w.name,
      task_queue: body.task_queue,
      input_schema: w.input_schema ? JSON.stringify(w.input_schema) : null,
      build_id: body.build_id ?? null,
      identity: body.identity,
      definition_hash: String(hash32(JSON.stringify(w))),
      updated_at: now,
    })),
  );
  return c.json({ namespace: p.namespace, task_queue: body.task_queue, workflows: body.workflows.map((w) => w.name), activities: body.activities });
});
