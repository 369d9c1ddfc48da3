import type { SchedulePolicy } from "@sundial/sdk/protocol";
import { adoptPrepared, initialState, tick, type ScheduleState, type Transition } from "../../../src/core/schedule/machine.ts";
import { planPrepare, settlePrepared } from "../../../src/core/schedule/prepare.ts";
import type { CompiledSpec } from "../../../src/core/spec.ts";
import { nextScheduleAlarm } from "../../../src/objects/schedule-plan.ts";
import type { ScheduleRow } from "../../../src/objects/schedule-store.ts";

/** What a simulated step hands the machine's driver: a transition's state and outcomes. */
export type Applied = Pick<Transition, "state" | "outcomes">;

/**
 * The core machine as the ScheduleObject drives it, for simulations (schedule-*-sim.test.ts):
 * ticks at the alarm schedule-plan.ts arms, prepares the next fire an hour ahead after each
 * change, and withdraws or adopts the prepared run before one. `observe` sees each transition
 * applied (the state already settled), before the next fire is prepared.
 */
export class ScheduleSim {
  now: number;
  s: ScheduleState;
  spec: CompiledSpec;
  private readonly policy: SchedulePolicy;
  private readonly observe: (t: Applied) => void;

  constructor(spec: CompiledSpec, policy: SchedulePolicy, start: number, observe: (t: Applied) => void) {
    this.spec = spec;
    this.policy = policy;
    this.now = start;
    this.s = initialState(start, false, "");
    this.observe = observe;
  }

  ctx() {
    return { spec: this.spec, scheduleId: "s", policy: this.policy, now: this.now };
  }

  alarm(): number | null {
    return nextScheduleAlarm({ schedule_id: "s", state: this.s, policy: this.policy } as unknown as ScheduleRow, this.spec, null, [], 0, this.now);
  }

  apply(t: Applied): void {
    this.s = settlePrepared(t.state, []).state;
    this.observe(t);
    const d = planPrepare(this.ctx(), this.s, 3_600_000, false);
    if (d.kind === "prepare") this.s = { ...this.s, prepared: d.run };
  }

  /** A change takes back the prepared run first, or adopts it if its time has come. */
  withdraw(): void {
    const p = this.s.prepared;
    if (p && p.actual <= this.now) this.apply({ state: adoptPrepared(this.s, p), outcomes: [{ kind: "started", fire: { nominal: p.nominal, actual: p.actual, kind: "scheduled" }, runId: p.runId }] });
    else if (p) this.s = { ...this.s, prepared: null };
  }

  /** Alarms ring at their time, or later when a wait jumps past them. */
  advance(to: number): void {
    for (let a = this.alarm(); a !== null && a <= to; a = this.alarm()) {
      this.now = Math.max(this.now, a);
      this.apply(tick(this.ctx(), this.s));
    }
    this.now = to;
  }
}
