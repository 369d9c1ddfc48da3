import { Hono } from "hono";
import type { HealthResponse } from "@sundial/sdk/protocol";
import { assertConfigured, authenticate, type AppEnv } from "./auth.ts";
import { executionRoutes } from "./executions.ts";
import { keyRoutes } from "./keys.ts";
import { scheduleRoutes } from "./schedules.ts";
import { problemResponse } from "./problem.ts";
import { taskRoutes } from "./tasks.ts";
import { taskQueueRoutes } from "./task-queues.ts";
import { workerRoutes } from "./workers.ts";
import { workflowTypeRoutes } from "./workflow-types.ts";
import { NotFoundError } from "../core/errors.ts";
import { openApiDocument } from "./openapi.ts";

/**
 * The REST API: every route but health needs a key (any kind, for the OpenAPI document); every error is problem+json.
 * Not strict: a path with a trailing slash (Pipelit's clients send `/v1/workflows/schedules/`) is the route without it.
 * The flag is the top app's (it matches every request, the sub-apps' routes included), so the sub-apps need none.
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  // Needs no key, but answers 503 not_configured (naming the secrets, never their values) when the
  // deployment's secrets are missing or too short: every authenticated request would fail anyway.
  app.get("/v1/health", (c) => {
    assertConfigured(c.env);
    return c.json({ status: "ok", service: "sundial" } satisfies HealthResponse);
  });
  app.get("/openapi.json", authenticate, (c) => c.json(openApiDocument()));
  app.use("/v1/*", authenticate);
  app.route("/v1/workflows/executions", executionRoutes);
  app.route("/v1/workflows/schedules", scheduleRoutes);
  app.route("/v1/admin/keys", keyRoutes);
  app.route("/v1/workflows/tasks", taskRoutes);
  app.route("/v1/workflows/workers", workerRoutes);
  app.route("/v1/workflows/types", workflowTypeRoutes);
  app.route("/v1/workflows/task-queues", taskQueueRoutes);
  app.notFound((c) => problemResponse(c, new NotFoundError(`no route for ${c.req.method} ${new URL(c.req.url).pathname}`, "route_not_found")));
  app.onError((err, c) => problemResponse(c, err));
  return app;
}
