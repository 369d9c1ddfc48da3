import { describe, expect, it } from "vitest";
import { QUEUE_IN_USE_MS } from "../../src/api/code-schedules.ts";
import { ScheduleObject } from "../../src/objects/schedule-object.ts";
import { api, uid } from "./helpers.ts";
import { describeSchedule, setNow, T } from "./schedule-helpers.ts";

// One build whose workers register a workflow on several task queues (the same code run by a
// fleet polling "a" and one polling "b"). Each worker registers again every 5 minutes: the
// schedules declared in code, and the workflow type, must not switch queues at every refresh.
// The queue that sorts first among those the build registers the workflow on is in charge; a
// registration from another queue is kept back (reported) while workers poll the queue in charge
// for the workflow (a poll held there, or one begun within QUEUE_IN_USE_MS): a fleet that moved to
// another queue takes the workflow along at once. README, "Schedules declared in code".

const M = 60_000;

interface Worker {
  queue: string;
  build: string | null;
  identity?: string;
  workflows: { name: string; schedules?: Record<string, unknown>[] }[];
  key?: string;
}

function register(w: Worker) {
  return api(
    "POST",
    "/v1/workflows/workers/register",
    {
      identity: w.identity ?? `worker-${w.queue}`,
      task_queue: w.queue,
      ...(w.build === null ? {} : { build_id: w.build }),
      workflows: w.workflows.map((x) => ({ name: x.name, schedules: x.schedules ?? [] })),
      activities: [],
    },
    w.key,
  );
}

/** The fleet polls its queue for its workflows now (a poll that holds nothing): what a live worker does all the time. */
async function polls(w: Worker) {
  const r = await api("POST", "/v1/workflows/tasks/poll", { task_queue: w.queue, kind: "workflow", identity: w.identity ?? `worker-${w.queue}`, types: w.workflows.map((x) => x.name), wait_seconds: 0 }, w.key);
  expect(r.status, JSON.stringify(r.body)).toBe(204);
}

/** Both fleets poll (they are live), then `w` registers again. */
async function refresh(w: Worker, ...fleets: Worker[]) {
  for (const f of fleets) await polls(f);
  return register(w);
}

async function typeOf(wf: string, key?: string) {
  const r = await api("GET", `/v1/workflows/types/${encodeURIComponent(wf)}`, undefined, key);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

const schedules = [{ interval_seconds: 3600 }, { cron_expressions: ["0 8 * * *"], task_queue: "named-q" }];

describe.each([
  ["a named build", "v1"],
  ["workers without a buildId", null],
] as const)("one build registering a workflow on two task queues (%s)", (_, build) => {
  it("refreshes from both queues change nothing: the queue that sorts first keeps the schedules and the workflow type", async () => {
    const wf = uid("queues-steady");
    const t0 = T("2027-07-01T00:00:00.000Z");
    const a = { queue: `${wf}-a`, build, workflows: [{ name: wf, schedules }] };
    const b = { queue: `${wf}-b`, build, workflows: [{ name: wf, schedules }] };
    setNow(t0);
    expect((await register(a)).body).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    const first = await describeSchedule(`${wf}:code-0`);
    expect(first).toMatchObject({ task_queue: a.queue, version: 1 });
    // Both fleets refresh, each every 5 minutes, for an hour.
    for (let m = 0.5; m <= 60; m += 2.5) {
      setNow(t0 + m * M);
      const which = Math.round(m / 2.5) % 2 === 0 ? a : b;
      const r = await refresh(which, a, b);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(await describeSchedule(`${wf}:code-0`), `after ${which.queue} at ${m} min`).toMatchObject({ task_queue: a.queue, version: 1, updated_at: first.updated_at });
      expect(await describeSchedule(`${wf}:code-1`)).toMatchObject({ task_queue: "named-q", version: 1 });
      // Kept back, a registration writes nothing to the workflow type either: its identity and
      // updated_at stay those of the last registration on the queue in charge.
      const lastA = Math.round(m / 2.5) % 2 === 0 ? m : m - 2.5;
      expect(await typeOf(wf)).toMatchObject({ task_queue: a.queue, build_id: build, identity: `worker-${a.queue}`, updated_at: new Date(t0 + lastA * M).toISOString() });
      expect(r.body.workflows[0].applied, `${which.queue} at ${m} min`).toBe(which === a);
      if (which === b) {
        expect(r.body.conflicts).toHaveLength(1);
        expect(r.body.conflicts[0].message).toContain(`on task queue ${b.queue}`);
        expect(r.body.conflicts[0].message).toContain(`stay on ${a.queue}`);
      } else expect(r.body.conflicts).toEqual([]);
    }
    // A start naming no queue goes where the schedules run.
    const started = await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: uid("queues-start") });
    expect(started.body.task_queue).toBe(a.queue);
  });

  it("the queue that sorts first takes over once when it registers after another, then nothing changes", async () => {
    const wf = uid("queues-late");
    const t0 = T("2027-07-02T00:00:00.000Z");
    const a = { queue: `${wf}-a`, build, workflows: [{ name: wf, schedules }] };
    const b = { queue: `${wf}-b`, build, workflows: [{ name: wf, schedules }] };
    setNow(t0);
    expect((await register(b)).body.workflows[0].applied).toBe(true);
    setNow(t0 + 30_000);
    expect((await register(a)).body).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    const taken = await describeSchedule(`${wf}:code-0`);
    expect(taken).toMatchObject({ task_queue: a.queue, version: 2 });
    for (let m = 2.5; m <= 30; m += 2.5) {
      setNow(t0 + m * M);
      const which = Math.round(m / 2.5) % 2 === 0 ? a : b;
      const r = await refresh(which, a, b);
      expect(await describeSchedule(`${wf}:code-0`), `after ${which.queue} at ${m} min`).toMatchObject({ task_queue: a.queue, version: 2 });
      expect((await typeOf(wf)).task_queue).toBe(a.queue);
      expect(r.body.workflows[0].applied, `${which.queue} at ${m} min`).toBe(which === a);
    }
  });

  it("once no worker polls the queue in charge for the workflow (its fleet stopped, or moved), the other queue's next registration applies at once; the first comes back at once", async () => {
    const wf = uid("queues-gone");
    const t0 = T("2027-07-03T00:00:00.000Z");
    const a = { queue: `${wf}-a`, build, workflows: [{ name: wf, schedules }] };
    const b = { queue: `${wf}-b`, build, workflows: [{ name: wf, schedules }] };
    setNow(t0);
    await refresh(a, a);
    setNow(t0 + 30_000);
    expect((await refresh(b, a, b)).body.workflows[0].applied).toBe(false);
    // The "a" fleet stopped after its poll at t0 + 30 s: while that poll is recent, "b" is still kept back.
    setNow(t0 + 30_000 + QUEUE_IN_USE_MS);
    expect((await refresh(b, b)).body.workflows[0].applied).toBe(false);
    setNow(t0 + 30_000 + QUEUE_IN_USE_MS + 1);
    expect((await refresh(b, b)).body).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    expect(await describeSchedule(`${wf}:code-0`)).toMatchObject({ task_queue: b.queue, version: 2 });
    expect((await typeOf(wf)).task_queue).toBe(b.queue);
    setNow(t0 + 5 * M);
    expect((await refresh(b, b)).body.workflows[0].applied).toBe(true);
    expect((await describeSchedule(`${wf}:code-0`)).version).toBe(2);
    // The "a" fleet is back (a restart, a scale-up): its queue sorts first, so it is in charge again.
    setNow(t0 + 6 * M);
    expect((await refresh(a, a, b)).body.workflows[0].applied).toBe(true);
    expect(await describeSchedule(`${wf}:code-0`)).toMatchObject({ task_queue: a.queue, version: 3 });
    setNow(t0 + 7 * M);
    expect((await refresh(b, a, b)).body.workflows[0].applied).toBe(false);
    expect(await describeSchedule(`${wf}:code-0`)).toMatchObject({ task_queue: a.queue, version: 3 });
  });

  it("a fleet that polls the queue in charge for other workflows only does not hold this one there", async () => {
    const wf = uid("queues-other");
    const t0 = T("2027-07-04T00:00:00.000Z");
    const a = { queue: `${wf}-a`, build, workflows: [{ name: wf, schedules }] };
    const b = { queue: `${wf}-b`, build, workflows: [{ name: wf, schedules }] };
    setNow(t0);
    await register(a);
    setNow(t0 + M);
    await polls({ ...a, workflows: [{ name: `${wf}-unrelated` }] });
    expect((await refresh(b, b)).body.workflows[0].applied).toBe(true);
    expect(await describeSchedule(`${wf}:code-0`)).toMatchObject({ task_queue: b.queue, version: 2 });
  });
});

describe("a stable fleet registering again", () => {
  it("workers of one build listing their workflows in another order, under other identities (a restart), change nothing", async () => {
    const x = uid("queues-order-x");
    const y = uid("queues-order-y");
    const t0 = T("2027-07-04T00:00:00.000Z");
    const queue = uid("order-q");
    const decl = { [x]: { name: x, schedules: [{ interval_seconds: 600 }] }, [y]: { name: y, schedules: [{ cron_expressions: ["0 9 * * *"], input: { b: 1, a: 2 } }] } };
    setNow(t0);
    expect((await register({ queue, build: "v1", identity: "host-1:100", workflows: [decl[x]!, decl[y]!] })).body.conflicts).toEqual([]);
    for (let m = 1; m <= 6; m++) {
      setNow(t0 + m * M);
      const workflows = m % 2 === 0 ? [decl[x]!, decl[y]!] : [decl[y]!, decl[x]!];
      const r = await register({ queue, build: "v1", identity: `host-${m % 3}:${100 + m}`, workflows });
      expect(r.body, JSON.stringify(r.body)).toMatchObject({ conflicts: [], workflows: [{ applied: true }, { applied: true }] });
      expect((await describeSchedule(`${x}:code-0`)).version).toBe(1);
      expect((await describeSchedule(`${y}:code-0`)).version).toBe(1);
    }
  });

  it("the same build on two namespaces, on different queues: each namespace keeps its own, neither moves the other's", async () => {
    const wf = uid("queues-ns");
    const t0 = T("2027-07-05T00:00:00.000Z");
    const ns = uid("ns-queues");
    const created = await api("POST", "/v1/admin/keys", { kind: "admin", namespace: ns, description: "queues across namespaces" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const other = created.body.key as string;
    const here = { queue: `${wf}-b`, build: "v1", workflows: [{ name: wf, schedules }] };
    const there = { queue: `${wf}-a`, build: "v1", workflows: [{ name: wf, schedules }], key: other };
    for (let m = 0; m <= 20; m += 2.5) {
      setNow(t0 + m * M);
      expect((await register(Math.round(m / 2.5) % 2 === 0 ? here : there)).body).toMatchObject({ conflicts: [], workflows: [{ applied: true }] });
    }
    expect(await describeSchedule(`${wf}:code-0`)).toMatchObject({ task_queue: here.queue, version: 1 });
    expect((await typeOf(wf)).task_queue).toBe(here.queue);
    expect((await typeOf(wf, other)).task_queue).toBe(there.queue);
    const theirs = await api("GET", `/v1/workflows/schedules/${encodeURIComponent(`${wf}:code-0`)}`, undefined, other);
    expect(theirs.body).toMatchObject({ task_queue: there.queue, version: 1 });
  });
});

/**
 * Holds every `ScheduleObject.upsert()` writing task queue `queue`, once it has written, until
 * `release()`: the registration that made it is then between its last schedule and its record.
 */
function holdAfterUpsertOn(queue: string) {
  return holdAfterUpsert((def) => def.task_queue === queue);
}

/** Holds every `ScheduleObject.upsert()` of a definition `which` picks, once it has written, until `release()`. */
function holdAfterUpsert(which: (def: { task_queue?: string; schedule_id?: string }) => boolean): { reached: Promise<void>; release: () => void; restore: () => void } {
  const proto = ScheduleObject.prototype as unknown as { upsert: (...a: unknown[]) => Promise<unknown> };
  const original = proto.upsert;
  let release!: () => void;
  let reach!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (reach = r));
  proto.upsert = async function (this: unknown, ...args: unknown[]) {
    const out = await original.apply(this, args);
    if (which(args[0] as { task_queue?: string; schedule_id?: string })) {
      reach();
      await released;
    }
    return out;
  };
  return { reached, release, restore: () => (release(), (proto.upsert = original)) };
}

describe("two registrations of one build applying at once", () => {
  it("the record never claims a definition the schedules do not hold: the later refreshes apply their own instead of taking the schedules as unchanged", async () => {
    const wf = uid("queues-race");
    const t0 = T("2027-07-06T00:00:00.000Z");
    const a = { queue: `${wf}-a`, build: "v1", workflows: [{ name: wf, schedules: [{ interval_seconds: 3600 }] }] };
    const b = { queue: `${wf}-b`, build: "v1", workflows: [{ name: wf, schedules: [{ interval_seconds: 3600 }] }] };
    const consistent = async (when: string) => {
      const [sched, type] = [await describeSchedule(`${wf}:code-0`), await typeOf(wf)];
      expect(sched.task_queue, `${when}: the schedule runs where the workflow is registered`).toBe(type.task_queue);
      return type.task_queue as string;
    };
    setNow(t0);
    // The "b" fleet's first registration has written its schedule and is about to record itself
    // when the "a" fleet's first registration (its queue sorts first) runs from start to end.
    const hold = holdAfterUpsertOn(b.queue);
    let first: Awaited<ReturnType<typeof register>>;
    try {
      const pending = register(b);
      await hold.reached;
      expect((await register(a)).body.workflows[0].applied).toBe(true);
      hold.release();
      first = await pending;
    } finally {
      hold.restore();
    }
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    await consistent("after both");
    // The "a" fleet stops; the "b" fleet keeps refreshing and, once "a" has been silent for the
    // window, runs the schedule on its own queue.
    for (let m = 1; m <= 16; m += 5) {
      setNow(t0 + m * M);
      expect((await register(b)).status).toBe(200);
      await consistent(`after b at ${m} min`);
    }
    expect(await consistent("at the end")).toBe(b.queue);
  });
  it("a registration that found a workflow unchanged does not record over another's change made meanwhile", async () => {
    const wf = uid("queues-stale-refresh");
    const carrier = uid("queues-carrier");
    const t0 = T("2027-07-07T00:00:00.000Z");
    const queue = uid("refresh-q");
    const v1 = { interval_seconds: 3600 };
    const v2 = { interval_seconds: 600 };
    const worker = (identity: string, mine: Record<string, unknown>, other: Record<string, unknown>) => ({ queue, build: "v1", identity, workflows: [{ name: wf, schedules: [mine] }, { name: carrier, schedules: [other] }] });
    setNow(t0);
    expect((await register(worker("w-1", v1, v1))).body.conflicts).toEqual([]);
    // w-1 registers again: wf unchanged, the carrier changed; it is held after writing the
    // carrier's schedule, before its record. Meanwhile w-2 (the same build, edited) changes wf.
    setNow(t0 + M);
    const hold = holdAfterUpsert((def) => def.schedule_id === `${carrier}:code-0`);
    let held: Awaited<ReturnType<typeof register>>;
    try {
      const pending = register(worker("w-1", v1, v2));
      await hold.reached;
      setNow(t0 + 2 * M);
      const edited = await register({ queue, build: "v1", identity: "w-2", workflows: [{ name: wf, schedules: [v2] }] });
      expect(edited.body.workflows[0].applied).toBe(true);
      hold.release();
      held = await pending;
    } finally {
      hold.restore();
    }
    expect(held.status, JSON.stringify(held.body)).toBe(200);
    expect((await describeSchedule(`${wf}:code-0`)).spec.intervals).toEqual([{ every: 600, offset: 0 }]);
    // w-2's record stands: w-1's did not claim wf for its own (v1) definition.
    expect(await typeOf(wf)).toMatchObject({ identity: "w-2", updated_at: new Date(t0 + 2 * M).toISOString() });
    // So w-1's next registration applies its definition, as the same build's last registration does.
    setNow(t0 + 3 * M);
    expect((await register(worker("w-1", v1, v2))).body.workflows[0].applied).toBe(true);
    expect((await describeSchedule(`${wf}:code-0`)).spec.intervals).toEqual([{ every: 3600, offset: 0 }]);
  });
});
