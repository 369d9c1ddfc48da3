import type { Command } from "../protocol/commands.ts";
import { isName, MAX_PAYLOAD_BYTES, payloadBytes, utf8Length } from "../protocol/execution.ts";
import { truncatedFailure, type Failure } from "../protocol/failure.ts";
import type { EventOf, HistoryEvent } from "../protocol/history.ts";
import { errorToFailure, failureToError } from "./failure-convert.ts";
import type { StepOptions } from "./context.ts";
import { toSeconds } from "./duration.ts";
import { markHandled, never } from "./promises.ts";

type RecordStep = Extract<Command, { type: "record_step" }>;
/** A step's outcome; `bytes` (UTF-8 JSON, as recorded) only when it ran live. */
type Outcome = ({ result: unknown } | { failure: Failure }) & { bytes?: number };

interface RunningStep {
  command: RecordStep;
  outcome: Promise<Outcome>;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/** What {@link Steps} needs from the workflow instance. */
export interface StepsHost {
  emit(command: Command): void;
  replaying(): boolean;
  /** True once the run emitted its closing command: nothing more is sent, so nothing more runs. */
  closed(): boolean;
  /** Starts the zero-length durable timer a checkpoint waits for (`start_timer`, duration 0). */
  startCheckpoint(): Promise<void>;
  /**
   * While replaying: whether history recorded a checkpoint (a zero-length `timer_started`) where
   * this activation's next command goes. Null when live: then the rule decides.
   */
  checkpointRecorded(): boolean | null;
}

/**
 * When a workflow task that runs steps stops to record them: before the next step call, once this
 * task has started {@link STEP_CHECKPOINT.steps} steps, or the values of its finished steps reach
 * {@link STEP_CHECKPOINT.bytes} of JSON (with one more step of at most 256 KiB, the task's step
 * values stay under 512 KiB, well inside its 1 MiB completion), or it has run for
 * {@link STEP_CHECKPOINT.ms}. A checkpoint is a zero-length timer: the task completes with what it
 * recorded so far and the run goes on in the next task, so a worker that dies re-runs at most one
 * checkpoint's worth of steps. Replays follow the checkpoints history recorded, never this rule,
 * so changing it cannot break a run in flight. Steps running together can still finish with more
 * than that: past {@link STEP_CHECKPOINT.taskBytes} in one task, a step's value is recorded as a
 * `StepResultTooLarge` failure instead, so the task's completion stays under its 1 MiB limit.
 */
export const STEP_CHECKPOINT = Object.freeze({ steps: 100, bytes: 256 * 1024, ms: 5_000, taskBytes: 768 * 1024 });

/**
 * Steps run inline by the workflow (`ctx.step.run`, Polos' durable steps): the function runs in the
 * worker during the workflow task, and its outcome is recorded as a `record_step` command
 * (`step_recorded` in history). A replay returns the recorded outcome and never runs the function
 * again. Steps are numbered per kind, and the command takes its place in the command list when the
 * step is called, so concurrent steps are recorded in call order whatever order they finish in.
 * Steps called while the workflow runs are settled together, in call order, once all of them have
 * finished, so `Promise.race` among steps is decided the same way live and on replay.
 */
export class Steps {
  private seq = 0;
  /** Outcomes history recorded, by seq: known before the batch whose task recorded them is replayed. */
  private readonly recorded = new Map<number, EventOf<"step_recorded">>();
  private running: RunningStep[] = [];
  private readonly host: StepsHost;
  /**
   * The checkpoint steps wait for once the rule fired, until its timer fires (possibly several
   * tasks later, when a signal or an update woke the run meanwhile: steps called then wait too, so
   * steps always run in call order).
   */
  private checkpoint: Promise<void> | null = null;
  /** This activation's steps: started, bytes of the finished ones' values, when it began. */
  private task = { steps: 0, bytes: 0, since: Date.now() };

  constructor(host: StepsHost) {
    this.host = host;
  }

  /** A new workflow task: its steps start a fresh count. */
  beginActivation(): void {
    this.task = { steps: 0, bytes: 0, since: Date.now() };
  }

  /** Takes note of the step outcomes among `events` (all the history an activation will replay). */
  know(events: readonly HistoryEvent[]): void {
    // Steps this instance already ran or replayed (a cached run's last task) need no lookup.
    for (const e of events) if (e.type === "step_recorded" && e.seq > this.seq) this.recorded.set(e.seq, e);
  }

  /** `ctx.step.run(name, fn, ...args)` or `ctx.step.run(name, options, fn, ...args)`. */
  call(name: string, rest: unknown[]): Promise<unknown> {
    const [first, ...more] = rest;
    if (typeof first === "function" || typeof first !== "object" || first === null) return this.run(name, first as (...args: unknown[]) => unknown, more, null);
    checkName(name);
    const proto: unknown = Object.getPrototypeOf(first);
    if (proto !== Object.prototype && proto !== null) throw new TypeError(`ctx.step.run("${name}"): options must be a plain object ({ timeout }), or pass the function second`);
    const [fn, ...args] = more;
    return this.run(name, fn as (...args: unknown[]) => unknown, args, stepTimeoutMs(name, first as StepOptions));
  }

  run(name: string, fn: (...args: unknown[]) => unknown, args: unknown[], timeoutMs: number | null = null): Promise<unknown> {
    checkName(name);
    if (typeof fn !== "function") throw new TypeError(`ctx.step.run("${name}"): the step must be a function`);
    // After the run's closing command nothing is recorded: running the step would be a side effect
    // no history could ever account for (a handler or a `finally` after continue-as-new, say).
    if (this.host.closed()) return never();
    if (this.checkpoint === null && this.checkpointDue()) {
      const checkpoint = this.host.startCheckpoint();
      this.checkpoint = checkpoint;
      // Registered first, so the steps waiting for it find it cleared when they run.
      const clear = () => {
        if (this.checkpoint === checkpoint) this.checkpoint = null;
      };
      checkpoint.then(clear, clear);
    }
    if (this.checkpoint !== null) {
      // Runs (and takes its seq) in the task after the checkpoint, in call order with the others.
      const later = this.checkpoint.then(() => this.run(name, fn, args, timeoutMs));
      markHandled(later);
      return later;
    }
    const seq = ++this.seq;
    this.task.steps++;
    const command: RecordStep = { type: "record_step", seq, name };
    this.host.emit(command);
    const recorded = this.recorded.get(seq);
    // Each seq is read once: a cached run does not keep every result it has replayed.
    this.recorded.delete(seq);
    // A step history does not have while replaying: the code changed under a recorded run. Its
    // command makes the replay's check fail (non-determinism); the function must not run meanwhile.
    if (recorded === undefined && this.host.replaying()) return never();
    const outcome: Promise<Outcome> = recorded !== undefined ? Promise.resolve(recorded.failure ? { failure: recorded.failure } : { result: recorded.result ?? null }) : runLive(fn, args, name, timeoutMs);
    const promise = new Promise<unknown>((resolve, reject) => this.running.push({ command, outcome, resolve, reject }));
    // Marks it handled: a failed step nobody awaits must not crash the worker.
    markHandled(promise);
    return promise;
  }

  private checkpointDue(): boolean {
    const recorded = this.host.checkpointRecorded();
    if (recorded !== null) return recorded;
    const t = this.task;
    return t.steps > 0 && (t.steps >= STEP_CHECKPOINT.steps || t.bytes >= STEP_CHECKPOINT.bytes || Date.now() - t.since >= STEP_CHECKPOINT.ms);
  }

  /** True while steps called since the last round are unsettled. */
  get pending(): boolean {
    return this.running.length > 0;
  }

  /** Waits for every step called since the last round, then records and settles them in call order. */
  async settleRound(): Promise<void> {
    const steps = this.running;
    this.running = [];
    const outcomes = await Promise.all(steps.map((s) => s.outcome));
    steps.forEach((s, i) => {
      const o = withinTask(outcomes[i]!, this.task.bytes);
      this.task.bytes += o.bytes ?? 0;
      if ("failure" in o) {
        s.command.failure = o.failure;
        s.reject(failureToError(o.failure));
      } else {
        s.command.result = o.result;
        s.resolve(o.result);
      }
    });
  }
}

/**
 * Runs the step now. Its value goes through JSON as it will be recorded, so the workflow sees the
 * same value live as on replay (a Date becomes its ISO string, undefined becomes null). A value
 * the platform would refuse (too large, not JSON) becomes the step's failure right here: sent as
 * is, it would fail the workflow task, and every retry of the task would run the step again.
 */
async function runLive(fn: (...args: unknown[]) => unknown, args: unknown[], name: string, timeoutMs: number | null): Promise<Outcome> {
  let value: unknown;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const running = (async () => fn(...args))();
    if (timeoutMs === null) {
      value = await running;
    } else {
      markHandled(running); // what it does after the timeout is ignored, a late failure included
      const timedOut = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs)));
      value = await Promise.race([running, timedOut]);
      if (value === TIMED_OUT) {
        return withBytes({ failure: { message: `step "${name}" did not finish within ${timeoutMs / 1000}s; its function may still be running`, type: "StepTimedOut", non_retryable: true } });
      }
    }
  } catch (err) {
    return withBytes({ failure: jsonSafeFailure(errorToFailure(err)) });
  } finally {
    clearTimeout(timer);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value === undefined ? null : value);
  } catch (err) {
    return withBytes({ failure: { message: `the step's value cannot be recorded as JSON: ${err instanceof Error ? err.message : String(err)}`, type: "StepResultNotJson", non_retryable: true } });
  }
  if (json === undefined) return { result: null, bytes: 4 }; // a function or symbol: nothing to record
  const bytes = payloadBytes(json);
  if (bytes > MAX_PAYLOAD_BYTES) {
    return withBytes({ failure: { message: `the step's value is ${utf8Length(json)} bytes of JSON, more than the ${MAX_PAYLOAD_BYTES} a recorded value may have`, type: "StepResultTooLarge", non_retryable: true } });
  }
  return { result: JSON.parse(json), bytes };
}

/**
 * A live outcome that would take the task's step values past {@link STEP_CHECKPOINT.taskBytes}:
 * a value becomes a `StepResultTooLarge` failure, a failure is cut to its message, type and retry
 * flag ({@link truncatedFailure}).
 */
function withinTask(o: Outcome, taskBytes: number): Outcome {
  if (o.bytes === undefined || taskBytes + o.bytes <= STEP_CHECKPOINT.taskBytes) return o;
  if ("failure" in o) return withBytes({ failure: truncatedFailure(o.failure, o.bytes) });
  const message = `the step's value (${o.bytes} bytes of JSON) would take the values of the steps this workflow task ran together past ${STEP_CHECKPOINT.taskBytes} bytes; run large steps one at a time, or pass large data by reference`;
  return withBytes({ failure: { message, type: "StepResultTooLarge", non_retryable: true } });
}

const TIMED_OUT: unique symbol = Symbol("step timed out");

/** The validated `timeout` of a step's options, in ms (null: no limit). */
function stepTimeoutMs(name: string, options: StepOptions): number | null {
  for (const key of Object.keys(options)) if (key !== "timeout") throw new TypeError(`ctx.step.run("${name}"): unknown option "${key}" (steps take only timeout)`);
  if (options.timeout === undefined) return null;
  const seconds = toSeconds(options.timeout, `ctx.step.run("${name}") timeout`);
  if (!(seconds > 0)) throw new TypeError(`ctx.step.run("${name}") timeout: must be more than 0, got ${seconds}s`);
  // A longer timer fires at once in Node; a step that may take weeks belongs in an activity anyway.
  if (seconds * 1000 > MAX_TIMER_MS) throw new TypeError(`ctx.step.run("${name}") timeout: at most ${Math.floor(MAX_TIMER_MS / 86_400_000)} days, got ${seconds}s`);
  return seconds * 1000;
}

/** The longest delay setTimeout honours (2^31 − 1 ms, ~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkName(name: string): void {
  if (!isName(name)) throw new TypeError(`ctx.step.run(): name ${JSON.stringify(name)} is invalid: use 1-200 letters, digits and . _ : -, starting with a letter or digit`);
}

/** A live failure with the UTF-8 size of its JSON, as it travels in the task's completion. */
function withBytes(o: { failure: Failure }): Outcome {
  return { ...o, bytes: payloadBytes(JSON.stringify(o.failure)) };
}

/** A failure as it will be recorded (through JSON), its message at most 4 KiB. */
function jsonSafeFailure(f: Failure): Failure {
  // errorToFailure already cut what is not JSON; the copy detaches details from the step's objects.
  const copy = JSON.parse(JSON.stringify(f)) as Failure;
  return copy.message.length > 4_096 ? { ...copy, message: `${copy.message.slice(0, 4_096)}…` } : copy;
}
