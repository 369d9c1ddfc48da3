/** Structured fields of a worker log line. */
export type WorkerLogFields = Record<string, unknown>;

/**
 * Where the worker writes what it does (registration, dropped stale tasks, retries, shutdown) and
 * where workflow `ctx.log` lines go.
 * @example
 * runWorker({ ..., logger: { info: (m, f) => pino.info(f, m), warn: (m, f) => pino.warn(f, m), error: (m, f) => pino.error(f, m) } });
 */
export interface WorkerLogger {
  debug?(message: string, fields?: WorkerLogFields): void;
  info(message: string, fields?: WorkerLogFields): void;
  warn(message: string, fields?: WorkerLogFields): void;
  error(message: string, fields?: WorkerLogFields): void;
}

function line(message: string, fields: WorkerLogFields | undefined): string {
  return fields === undefined || Object.keys(fields).length === 0 ? `[sundial] ${message}` : `[sundial] ${message} ${JSON.stringify(fields, errorReplacer)}`;
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

/** The default logger: one console line per entry; `debug` only when `SUNDIAL_DEBUG` is set. */
export const consoleWorkerLogger: WorkerLogger = {
  debug: (message, fields) => {
    if (process.env.SUNDIAL_DEBUG) console.debug(line(message, fields));
  },
  info: (message, fields) => console.info(line(message, fields)),
  warn: (message, fields) => console.warn(line(message, fields)),
  error: (message, fields) => console.error(line(message, fields)),
};

/** A logger that drops everything (tests). */
export const silentWorkerLogger: WorkerLogger = { info: () => {}, warn: () => {}, error: () => {} };
