import { ExecutionObject } from "../../src/objects/execution-object.ts";

/** ExecutionObject methods a test can make fail. */
export type FailingMethod = "discardPrepared" | "startPrepared" | "startWorkflowTask" | "startActivityTask";

/**
 * Runs `fn` while the named ExecutionObject methods throw (a call that cannot reach the run: the
 * process was killed, say). Every object shares this isolate's prototype; restored afterwards.
 * Only the first `times` calls fail (default: all of them).
 */
export async function whileFailing<T>(methods: FailingMethod[], fn: () => Promise<T>, times = Infinity): Promise<T> {
  const proto = ExecutionObject.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = methods.map((m) => [m, proto[m]!] as const);
  let failed = 0;
  for (const [m, original] of originals) {
    proto[m] = async function (this: unknown, ...args: unknown[]) {
      if (failed >= times) return original.apply(this, args);
      failed++;
      throw new Error(`injected: ${m} not delivered`);
    };
  }
  try {
    return await fn();
  } finally {
    for (const [m, f] of originals) proto[m] = f;
  }
}
