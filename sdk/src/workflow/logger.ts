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
 * A logger that writes only while `isReplaying()` is false, tagging each entry with the run it
 * belongs to. Replays re-run the same code, so without this every line would repeat per task.
 */
export function replayAwareLogger(sink: LogSink, isReplaying: () => boolean, tags: () => LogAttributes): WorkflowLogger {
  const write = (level: LogLevel) => (message: string, attributes?: LogAttributes) => {
    if (isReplaying()) return;
    try {
      sink(level, message, { ...tags(), ...attributes });
    } catch {
      // A broken sink must not change what the workflow does (that would be non-deterministic).
    }
  };
  return { info: write("info"), warn: write("warn"), error: write("error") };
}
