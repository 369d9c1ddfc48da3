import type { ScheduleSpec } from "@sundial/sdk/protocol";
import { neverFires } from "../core/cron.ts";
import { InvalidCronError, ValidationError } from "../core/errors.ts";
import { searchGivesUp } from "../core/fire-times.ts";
import { compileSpec, type CompiledSpec } from "../core/spec.ts";

/**
 * Longest interval a spec may have: 100 years. The wire schema bounds every time field but not
 * `every`, and an interval of 1e300 s put fire times past the last JavaScript date: preview,
 * create and worker registration answered 500, and create left a schedule object whose describe
 * threw on every read. Belongs with SPEC_LIMITS in the protocol schema; checked at the edge until then.
 */
export const MAX_INTERVAL_SECONDS = 100 * 366 * 86_400;

/** Rejects a normalised spec the platform cannot compute fire times for (422 naming the field). */
export function checkSpecBounds(spec: ScheduleSpec): void {
  for (const [i, iv] of spec.intervals.entries()) {
    if (iv.every > MAX_INTERVAL_SECONDS) {
      throw new ValidationError(`intervals.${i}.every: must be at most ${MAX_INTERVAL_SECONDS} seconds (100 years)`, { field: `intervals.${i}.every` });
    }
  }
}

/**
 * Compiles a spec as created at `createdAt`, or throws a 422 naming the field: bounds, cron and
 * zone (compileSpec), a cron expression that matches no date ever, and exclusions that leave the next fire after `from` too sparse to find
 * (the search would give up and read as "no more fires", completing the schedule at once).
 * With `sent`, the request's own cron fields, a bad `cron` shorthand is named `cron`.
 */
export function compileChecked(spec: ScheduleSpec, createdAt: number, from = createdAt, sent?: SentCrons): CompiledSpec {
  try {
    return compileCheckedSpec(spec, createdAt, from);
  } catch (err) {
    throw namingCronShorthand(err, sent);
  }
}

/** The cron fields of the request a spec came from: its `cron` shorthand is the spec's cron expression after those of `cron_expressions`. */
export type SentCrons = { cron?: unknown; cron_expressions?: unknown };

/** A bad cron expression that the request sent as `cron` is named `cron`, the field at fault, not its place in the normalised list. */
function namingCronShorthand(err: unknown, sent: SentCrons | undefined): unknown {
  if (!(err instanceof InvalidCronError) || typeof sent?.cron !== "string") return err;
  const at = Array.isArray(sent.cron_expressions) ? sent.cron_expressions.length : 0;
  return err.field === `cron_expressions.${at}` ? new InvalidCronError("cron", err.expression, err.reason) : err;
}

function compileCheckedSpec(spec: ScheduleSpec, createdAt: number, from: number): CompiledSpec {
  checkSpecBounds(spec);
  const compiled = compileSpec(spec, { createdAt });
  // Checked here, not in the parser: a stored schedule that has such an expression still loads (and has completed).
  compiled.crons.forEach((m, i) => {
    if (neverFires(m)) throw new InvalidCronError(`cron_expressions.${i}`, m.expression, "it never fires: no date matches it (the calendar repeats every 400 years, and none of them has one)");
  });
  if (searchGivesUp(compiled, from)) {
    throw new ValidationError("exclude: the exclusions leave fire times too sparse to find the next one; exclude whole hours or days, or fewer times", { field: "exclude" });
  }
  return compiled;
}
