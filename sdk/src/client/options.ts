import type { CallOptions } from "./call-options.ts";

/**
 * The checks of the options objects every client call takes (executions, schedules, keys,
 * registered workflows, task queues, `whoami`, `health`) and of the schedule definitions a worker
 * declares: an unknown option is an error, never dropped in silence.
 */

/**
 * The names of an options type, in the order written: `names` has one key per option of `T`,
 * written `{ … } satisfies Record<keyof T, true>`, so an option added to the type and not here (or
 * one here the type does not have) is a compile error, and the list cannot drift from the type.
 * @example const LIST_OPTIONS = optionNames({ pageSize: true, pageToken: true, signal: true } satisfies Record<keyof ListKeysOptions, true>);
 */
export function optionNames<const K extends string>(names: Readonly<Record<K, true>>): readonly K[] {
  return Object.keys(names) as K[];
}

/**
 * A list of option names back as the object {@link optionNames} takes, to build a longer list on it.
 * @example optionNames({ ...fromList(START_OPTIONS), timeout: true, waitSeconds: true } satisfies Record<keyof ExecuteOptions, true>)
 */
export function fromList<K extends string>(names: readonly K[]): Record<K, true> {
  return Object.fromEntries(names.map((n) => [n, true])) as Record<K, true>;
}

/** The options of a call that takes nothing but {@link CallOptions} (`get`, `cancel`, `pause`, `health`…). */
export const CALL_OPTIONS = optionNames({ signal: true } satisfies Record<keyof CallOptions, true>);

/**
 * Throws a `TypeError` naming an option that is not one of `known` (a typo, or the wire's
 * snake_case name), with the camelCase name meant when it can tell: without this an unknown option
 * would be dropped and the platform's default used in silence (code run with Node's type stripping
 * is never type-checked). Options set to `undefined` are ignored; options that are not an object
 * (a string, an array, null) are a `TypeError` too.
 * @example rejectUnknownOptions({ catchup_window_seconds: 60 }, POLICY_OPTIONS, "policy")
 * // TypeError: policy.catchup_window_seconds: unknown option (did you mean catchupWindowSeconds?) ...
 */
export function rejectUnknownOptions(options: unknown, known: readonly string[], where: string): asserts options is object {
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw new TypeError(`${where === "" ? "options" : where}: must be an object, got ${JSON.stringify(options)}`);
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || known.includes(name)) continue;
    const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const meant = [camel, camel.replace(/Seconds$/, "")].find((c) => known.includes(c));
    throw new TypeError(`${optionPath(where, name)}: unknown option${meant ? ` (did you mean ${meant}?${meant !== camel ? " It takes a duration: seconds or a string like \"7d\"." : ""})` : ""}; expected one of ${known.join(", ")}`);
  }
}

/** `where` + `.field`, or just `field` at the top. */
export function optionPath(where: string, field: string): string {
  return where === "" ? field : `${where}.${field}`;
}
