import type { Command } from "../protocol/commands.ts";
import type { HistoryEvent } from "../protocol/history.ts";
import { ActivityFailure, CancelledError, TimeoutFailure } from "./errors.ts";
import { failureToError } from "./failure-convert.ts";
import { markHandled } from "./promises.ts";

/** An activity or timer a workflow run started and history has not yet closed. */
export interface PendingOperation {
  kind: "activity" | "timer";
  seq: number;
  activityType: string;
  /** Not cancelled by a cancel request (a step checkpoint: steps were never cancellable). */
  keepOnCancel: boolean;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/**
 * A run's open activities and timers, keyed by kind and seq, in creation order: the promises the
 * workflow awaits, settled by the history events that close them or by a cancel request.
 */
export class PendingOperations {
  private readonly ops = new Map<string, PendingOperation>();

  /**
   * Registers an operation and returns the promise its closing event settles. The promise is
   * marked handled: a cancelled operation nobody awaits must not crash the process.
   */
  add<T>(kind: "activity" | "timer", seq: number, activityType: string, keepOnCancel: boolean): Promise<T> {
    const promise = new Promise<T>((resolve, reject) => {
      this.ops.set(`${kind}:${seq}`, { kind, seq, activityType, keepOnCancel, resolve: resolve as (value: unknown) => void, reject });
    });
    markHandled(promise);
    return promise;
  }

  /** Removes and returns the operation, if it is still pending. */
  take(kind: "activity" | "timer", seq: number): PendingOperation | undefined {
    const key = `${kind}:${seq}`;
    const op = this.ops.get(key);
    this.ops.delete(key);
    return op;
  }

  /**
   * Settles the operation an activity or timer event closes. Returns false for any other event
   * (it is not this table's to apply).
   */
  apply(event: HistoryEvent): boolean {
    switch (event.type) {
      case "activity_completed":
        this.take("activity", event.seq)?.resolve(event.result);
        return true;
      case "activity_failed": {
        const op = this.take("activity", event.seq);
        op?.reject(new ActivityFailure(op.activityType, event.seq, event.attempt, failureToError(event.failure)));
        return true;
      }
      case "activity_timed_out": {
        const op = this.take("activity", event.seq);
        op?.reject(new ActivityFailure(op.activityType, event.seq, event.attempt, new TimeoutFailure(event.timeout_type)));
        return true;
      }
      case "activity_cancelled": {
        const op = this.take("activity", event.seq);
        op?.reject(new CancelledError(`activity "${op.activityType}" (seq ${event.seq}) was cancelled`));
        return true;
      }
      case "timer_fired":
        this.take("timer", event.seq)?.resolve(undefined);
        return true;
      default:
        return false;
    }
  }

  /**
   * A cancel request: every pending operation but the step checkpoints is dropped, its cancel
   * command emitted and its promise rejected with a CancelledError.
   */
  cancelAll(reason: string, emit: (command: Command) => void): void {
    // Creation order, so the cancel commands come out in the same order on every replay.
    for (const op of [...this.ops.values()]) {
      if (op.keepOnCancel) continue;
      this.ops.delete(`${op.kind}:${op.seq}`);
      emit(op.kind === "activity" ? { type: "request_cancel_activity", seq: op.seq } : { type: "cancel_timer", seq: op.seq });
      op.reject(new CancelledError(reason));
    }
  }
}
