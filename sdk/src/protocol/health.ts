import { z } from "zod";

/**
 * `GET /v1/health` (no key needed): the deployment is up and its secrets are configured. A
 * deployment whose secrets are missing or too short answers a 503 `not_configured` problem instead.
 * @example { "status": "ok", "service": "sundial" }
 */
export const HealthResponse = z.object({
  status: z.literal("ok"),
  /** Always `sundial`: tells this platform apart from another service answering on the URL. */
  service: z.string(),
});
export type HealthResponse = z.output<typeof HealthResponse>;
