import { ExecutionObject } from "../../src/objects/execution-object.ts";

/** ExecutionObject methods a test can make fail. */
export type FailingMethod = "start" | "discardPrepared" | "startPrepared" | "startWorkflowTask" | "startActivityTask";

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

/**
 * Holds the first call of `method` on objects of the class `proto` belongs to, from the moment it
 * is entered until `release()`: what a request that has done its reads and is on its way to the
 * object looks like to a second request that runs meanwhile. `restore()` puts the method back.
 */
export function holdFirstCall(proto: object, method: string): { reached: Promise<void>; release: () => void; restore: () => void } {
  const p = proto as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = p[method]!;
  let release!: () => void;
  let reach!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (reach = r));
  let first = true;
  p[method] = async function (this: unknown, ...args: unknown[]) {
    if (first) {
      first = false;
      reach();
      await released;
    }
    return original.apply(this, args);
  };
  return { reached, release, restore: () => void (p[method] = original) };
}

/**
 * Makes the first call of `method` on the execution `executionId` throw, as an object that cannot
 * be reached does (the outbox that sent it sees a failure and backs the entry off); `failed`
 * resolves once it has. `restore()` puts the method back.
 */
export function failFirstCallOn(method: "start" | "cancel" | "terminate", executionId: string): { failed: Promise<void>; restore: () => void } {
  const proto = ExecutionObject.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = proto[method]!;
  let done!: () => void;
  const failed = new Promise<void>((r) => (done = r));
  let first = true;
  proto[method] = async function (this: { store: { run(): { execution_id: string } | null } }, ...args: unknown[]) {
    const id = method === "start" ? (args[0] as { execution_id: string }).execution_id : this.store.run()?.execution_id;
    if (first && id === executionId) {
      first = false;
      done();
      throw new Error(`injected: ${method} of ${executionId} not delivered`);
    }
    return original.apply(this, args);
  };
  return { failed, restore: () => void (proto[method] = original) };
}
