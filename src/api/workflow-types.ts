import { Hono } from "hono";
import { z } from "zod";
import { Name, toRfc3339, type WorkflowTypeInfo } from "@sundial/sdk/protocol";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { getWorkflowType, listWorkflowTypes, type WorkflowTypeRow } from "../index/workflow-types.ts";
import { requireKind, type AppEnv } from "./auth.ts";
import { decodeCursor, encodeCursor, PageSize, PageToken, WorkflowTypesCursor } from "./pagination.ts";
import { readQuery } from "./validate.ts";

/**
 * /v1/workflows/types: the workflows workers registered, with the input JSON Schema starts and
 * schedules are checked against (what a console renders a form from). Read-only: workers register.
 */
export const workflowTypeRoutes = new Hono<AppEnv>();
workflowTypeRoutes.use("*", requireKind("app"));

const ListQuery = z.strictObject({ page_size: PageSize, page_token: PageToken });

function info(r: WorkflowTypeRow): WorkflowTypeInfo {
  return {
    name: r.name,
    task_queue: r.task_queue,
    input_schema: r.input_schema === null ? null : (JSON.parse(r.input_schema) as Record<string, unknown>),
    execution_timeout: r.execution_timeout,
    build_id: r.build_id,
    identity: r.identity,
    updated_at: toRfc3339(r.updated_at),
  };
}

workflowTypeRoutes.get("/", async (c) => {
  const q = readQuery(c, ListQuery);
  const after = q.page_token ? decodeCursor(q.page_token, WorkflowTypesCursor).n : undefined;
  const rows = await listWorkflowTypes(c.env.DB, c.get("principal").namespace, after, q.page_size + 1);
  const page = rows.slice(0, q.page_size);
  const last = page[page.length - 1];
  return c.json({ workflow_types: page.map(info), next_page_token: rows.length > q.page_size && last ? encodeCursor(WorkflowTypesCursor, { n: last.name }) : null });
});

workflowTypeRoutes.get("/:name", async (c) => {
  const name = Name.safeParse(c.req.param("name"));
  if (!name.success) throw new ValidationError(`name: ${name.error.issues[0]?.message ?? "invalid"}`, { field: "name" });
  const row = await getWorkflowType(c.env.DB, c.get("principal").namespace, name.data);
  if (!row) throw new NotFoundError(`no worker registered workflow ${name.data}`, "workflow_not_found");
  return c.json(info(row));
});
