import type { LogAttributes, WorkflowLogger } from "./context.ts";

/** Log severity. */
export type LogLevel = "info" | "warn" | "error";

/**
 * Where workflow log lines go. The default writes to the console; a worker may pass its own.
 * @example
 * const sink: LogSink = (level, message, attrs) => myLogger[level]({ ...attrs }, message);
 */
export type LogSink = (level: LogLevel, message: string, attributes: LogAttributes) => void;

/** The default sink: one console line per entry, attributes as JSON. */
export const consoleLogSink: LogSink = (level, message, attributes) => {
  const line = `[sundial] ${message} ${JSON.stringify(attributes)}`;
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.info(line);
};

/**
 * The attributes of one line: the caller's, then the run's `tags`, which win so a line always
 * names its run. A caller's attribute named like a tag is kept as `attr_<name>` (overwriting a
 * caller's own `attr_<name>`).
 * @example tagged({ workflow: "w", run_id: "r" }, { workflow: "x", n: 1 }) // { attr_workflow: "x", n: 1, workflow: "w", run_id: "r" }
 */
export function tagged(tags: LogAttributes, attributes: LogAttributes | undefined): LogAttributes {
  if (attributes === undefined || attributes === null || typeof attributes !== "object") return { ...tags };
  const out: LogAttributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (Object.hasOwn(tags, key)) out[`attr_${key}`] = value;
    else if (!Object.hasOwn(out, key)) out[key] = value;
  }
  return { ...out, ...tags };
}

/**
 * A logger that writes only while `isReplaying()` is false, tagging each entry with the run it
 * belongs to (see {@link tagged}). Replays re-run the same code, so without this every line would
 * repeat per task.
 */
export function replayAwareLogger(sink: LogSink, isReplaying: () => boolean, tags: () => LogAttributes): WorkflowLogger {
  const write = (level: LogLevel) => (message: string, attributes?: LogAttributes) => {
    if (isReplaying()) return;
    try {
      sink(level, message, tagged(tags(), attributes));
    } catch {
      // A broken sink must not change what the workflow does (that would be non-deterministic).
    }
  };
  return { info: write("info"), warn: write("warn"), error: write("error") };
}
