const noop = (): void => {};

/** Marks a promise the workflow may never await as handled: its rejection must not crash the worker. */
export function markHandled(promise: PromiseLike<unknown>): void {
  Promise.resolve(promise).catch(noop);
}

/** A promise that never settles: the outcome of an operation that will never take place. */
export function never<T>(): Promise<T> {
  return new Promise<T>(noop);
}
