/**
 * The bounds a worker registration's schedules-in-code must respect: decided here, before the
 * registration writes anything, so a refused one changes nothing.
 */

/** Most schedules one registration may declare, over all its workflows (422 `limit_exceeded` past it). */
export const MAX_CODE_SCHEDULES_PER_REGISTRATION = 1_000;

/**
 * The first declared schedule past {@link MAX_CODE_SCHEDULES_PER_REGISTRATION}, as its request
 * path (`workflows.N.schedules.M`), or null when the registration is within it. `perWorkflow` is
 * each workflow's number of declared schedules, in request order.
 *
 * @example
 * firstScheduleOverRegistrationCap([600, 600]) // "workflows.1.schedules.400"
 */
export function firstScheduleOverRegistrationCap(perWorkflow: readonly number[], cap = MAX_CODE_SCHEDULES_PER_REGISTRATION): string | null {
  let seen = 0;
  for (const [i, n] of perWorkflow.entries()) {
    if (seen + n > cap) return `workflows.${i}.schedules.${cap - seen}`;
    seen += n;
  }
  return null;
}

/**
 * Which new code schedule would take the namespace past its schedule limit, if any. The namespace
 * holds `count` schedules; the registration removes `removed` of them and creates `created`
 * (each named by its request path, in request order). Schedules it only updates count for
 * nothing, as a REST upsert of a held (workflow, key) does; a registration creating nothing is
 * never refused, so a worker restart of an over-full namespace (its limit since lowered) still
 * registers.
 *
 * @example
 * firstCreatedPastLimit({ count: 9, removed: 0, limit: 10, created: ["workflows.0.schedules.0", "workflows.0.schedules.1"] })
 * // "workflows.0.schedules.1"
 */
export function firstCreatedPastLimit(c: { count: number; removed: number; limit: number; created: readonly string[] }): string | null {
  if (c.created.length === 0) return null;
  const room = Math.max(0, c.limit - Math.max(0, c.count - c.removed));
  return c.created.length > room ? c.created[room]! : null;
}
