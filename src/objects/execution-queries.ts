import type { Failure } from "@sundial/sdk/protocol";
import { QueryTimeoutError, ValidationError } from "../core/errors.ts";

interface PendingQuery {
  name: string;
  input: unknown;
  resolve: (answer: QueryAnswer) => void;
}

export type QueryAnswer = { result: unknown } | { failure: Failure } | { timeout: true };

/**
 * Queries in flight for one execution. They are never written anywhere: a query is answered by a
 * worker replaying the history (read-only), and a query nobody answers in time times out. Queue
 * entries use negative refs so they can never collide with workflow task event ids.
 */
export class QueryBroker {
  private readonly pending = new Map<number, PendingQuery>();

  /** Registers a query; returns its ref (for the queue) and a promise of the answer. */
  open(name: string, input: unknown, timeoutMs: number): { ref: number; answer: Promise<QueryAnswer> } {
    let ref = -1 - Math.floor(Math.random() * 2 ** 31);
    while (this.pending.has(ref)) ref -= 1;
    const answer = new Promise<QueryAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        resolve({ timeout: true });
      }, timeoutMs);
      this.pending.set(ref, {
        name,
        input,
        resolve: (a) => {
          clearTimeout(timer);
          this.pending.delete(ref);
          resolve(a);
        },
      });
    });
    return { ref, answer };
  }

  get(ref: number): { name: string; input: unknown } | null {
    const q = this.pending.get(ref);
    return q ? { name: q.name, input: q.input } : null;
  }

  /** Delivers a worker's answer; false when the query already timed out. */
  answer(ref: number, a: QueryAnswer): boolean {
    const q = this.pending.get(ref);
    if (!q) return false;
    q.resolve(a);
    return true;
  }
}

/**
 * A query's answer as the caller gets it: the result, or the error a timeout (no worker answered:
 * is one polling `taskQueue`?) or the handler's failure is.
 */
export function queryOutcome(a: QueryAnswer, name: string, ref: number, timeoutMs: number, taskQueue: string): { query_id: string; result: unknown } {
  if ("timeout" in a) throw new QueryTimeoutError(`no worker answered query ${name} within ${timeoutMs / 1000}s (is a worker polling task queue ${taskQueue}?)`);
  if ("failure" in a) throw new ValidationError(`query ${name} failed: ${a.failure.message}`, { field: "name", code: "query_failed", failure: a.failure });
  return { query_id: String(-ref), result: a.result };
}
