import { z } from "zod";

/**
 * A registered workflow, as `GET /v1/workflows/types/{name}` shows it: what the last worker that
 * registered it declared. `input_schema` is the JSON Schema starts and schedules are validated
 * against (null: any JSON input), e.g. to render a form for the workflow's input.
 */
export const WorkflowTypeInfo = z.object({
  name: z.string(),
  task_queue: z.string(),
  input_schema: z.record(z.string(), z.unknown()).nullable(),
  /** The default execution timeout (seconds) of its runs, or null (1 h). */
  execution_timeout: z.number().nullable(),
  /** The registering worker's build id (`runWorker({ buildId })`), or null. */
  build_id: z.string().nullable(),
  /** The registering worker's identity. */
  identity: z.string(),
  /** When it was last registered with a change (RFC 3339). */
  updated_at: z.string(),
});
export type WorkflowTypeInfo = z.infer<typeof WorkflowTypeInfo>;

/** `GET /v1/workflows/types`: by name, in pages. */
export const ListWorkflowTypesResponse = z.object({ workflow_types: z.array(WorkflowTypeInfo), next_page_token: z.string().nullable() });
export type ListWorkflowTypesResponse = z.infer<typeof ListWorkflowTypesResponse>;
