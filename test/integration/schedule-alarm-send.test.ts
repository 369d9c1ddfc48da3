import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ExecutionObject } from "../../src/objects/execution-object.ts";
import { OUTBOX_BACKSTOP_MS } from "../../src/objects/outbox.ts";
import { uid } from "./helpers.ts";
import { alarmOf, createSchedule, expectAlarm, expectRunning, getRun, runId, scheduleObject, setNow, T } from "./schedule-helpers.ts";

// A ScheduleObject's alarm sends its outbox (the runs it starts) before it arms its next alarm, so
// it writes the alarm once (src/objects/schedule-object.ts). Should the object die during the
// send, the platform runs the alarm again, but only a few times; a retried alarm therefore arms a
// backstop before it sends. The send is held here by making the run's start wait.

/** Holds every ExecutionObject start until `fn` is done; `reached` resolves when the first one is entered. */
async function holdStarts<R>(fn: (reached: Promise<void>) => Promise<R>): Promise<R> {
  const proto = ExecutionObject.prototype as unknown as { start: (...args: unknown[]) => Promise<unknown> };
  const original = proto.start;
  let release!: () => void;
  let reach!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (reach = r));
  proto.start = async function (this: ExecutionObject, ...args: unknown[]) {
    reach();
    await released;
    return original.apply(this, args);
  };
  try {
    return await fn(reached);
  } finally {
    release();
    proto.start = original;
  }
}

async function dueSchedule(prefix: string): Promise<{ sid: string; fire: number }> {
  const sid = uid(prefix);
  const t0 = T("2027-09-01T00:00:00.000Z");
  setNow(t0);
  await createSchedule({ schedule_id: sid, workflow: "as-wf", key: sid, interval_seconds: 600, task_queue: uid("q-as") });
  const fire = t0 + 600_000;
  await expectAlarm(sid, fire);
  // The alarm runs a second late, so an alarm armed at "now" is told apart from the one running.
  setNow(fire + 1_000);
  return { sid, fire };
}

/** Runs the object's alarm() as the platform would, with this invocation info, without awaiting it. */
function runAlarm(sid: string, info: AlarmInvocationInfo): Promise<void> {
  return runInDurableObject(scheduleObject(sid), (obj) => (obj as unknown as { alarm(i: AlarmInvocationInfo): Promise<void> }).alarm(info));
}

describe("a schedule's alarm and its send", () => {
  it("a retried alarm arms a backstop before it sends; the first try arms once, after the send", async () => {
    for (const isRetry of [false, true]) {
      const { sid, fire } = await dueSchedule(`alarm-send-${isRetry ? "retry" : "first"}`);
      let alarm: Promise<void> | undefined;
      try {
        await holdStarts(async (reached) => {
          alarm = runAlarm(sid, { isRetry, retryCount: isRetry ? 1 : 0, scheduledTime: fire });
          // The alarm is sending: the run's start has been entered, and is held.
          await reached;
          expect((await getRun(runId(sid, fire))).status, "the run is not started while its start is held").toBe(404);
          const armed = await alarmOf(sid);
          if (isRetry) expect(armed, "a retry's backstop, while it sends").toBe(fire + 1_000 + OUTBOX_BACKSTOP_MS);
          // The first try leaves the alarm that is running in place (the platform clears it when the handler ends).
          else expect(armed, "the first try writes nothing before its send").toBe(fire);
        });
      } finally {
        await alarm;
      }
      await expectRunning(runId(sid, fire));
      await expectAlarm(sid, fire + 600_000);
    }
  });
});
