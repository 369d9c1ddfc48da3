import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { RegisterWorkerRequest } from "@sundial/sdk/protocol";
import { buildRegistration, LruCache, resolveWorkerOptions, runWorker, silentWorkerLogger, toWireSchedule, type WorkerLogFields } from "@sundial/sdk/worker";
import { SundialClient } from "@sundial/sdk/client";
import { defineActivity, defineWorkflow, type ScheduleDefinition } from "@sundial/sdk/workflow";
import { FakePlatform } from "./helpers/fake-platform.ts";
import { refreshDelay } from "../../../sdk/src/worker/registration.ts";

const backup = defineWorkflow({
  name: "database_backup_workflow",
  input: z.object({ retention_days: z.number().int().default(30) }),
  executionTimeout: "2h",
  schedules: [
    { cronExpressions: ["0 3 * * 6"], input: { retention_days: 30 }, policy: { catchupWindow: 604_800, overlap: "SKIP" } },
    {
      key: "hourly-eu",
      intervals: [{ every: "1h", offset: "5m" }],
      at: [new Date("2026-12-24T18:00:00Z"), "2026-12-31T23:00:00+01:00"],
      startAt: "2026-12-01T00:00:00Z",
      endAt: new Date("2027-01-01T00:00:00Z"),
      repeatCount: 100,
      exclude: ["* * 25 12 *"],
      jitter: "30s",
      timezone: "Europe/Berlin",
      policy: { overlap: "BUFFER_ALL", retryMax: 3, retryDelay: "2m", onFailure: "pause" },
    },
  ],
  run: async () => null,
});
const noop = defineActivity({ name: "noop", run: async () => null });
const base = { url: "http://127.0.0.1:1", apiKey: "k", taskQueue: "default", identity: "w-1", handleSignals: false };

describe("registration", () => {
  it("converts code-declared schedules to the wire's snake_case shape (durations in seconds)", () => {
    const reg = buildRegistration(resolveWorkerOptions({ ...base, buildId: "v42", workflows: [backup], activities: [noop] }));
    expect(reg).toEqual({
      task_queue: "default",
      identity: "w-1",
      build_id: "v42",
      activities: ["noop"],
      workflows: [
        {
          name: "database_backup_workflow",
          execution_timeout: 7200,
          input_schema: backup.inputJsonSchema,
          schedules: [
            { cron_expressions: ["0 3 * * 6"], input: { retention_days: 30 }, policy: { catchup_window_seconds: 604_800, overlap: "SKIP" } },
            {
              key: "hourly-eu",
              intervals: [{ every: 3600, offset: 300 }],
              at: ["2026-12-24T18:00:00.000Z", "2026-12-31T23:00:00+01:00"],
              start_at: "2026-12-01T00:00:00Z",
              end_at: "2027-01-01T00:00:00.000Z",
              repeat_count: 100,
              exclude: ["* * 25 12 *"],
              jitter_seconds: 30,
              timezone: "Europe/Berlin",
              policy: { overlap: "BUFFER_ALL", retry_max: 3, retry_delay_seconds: 120, on_failure: "pause" },
            },
          ],
        },
      ],
    });
    // The platform's own schema accepts it.
    expect(RegisterWorkerRequest.safeParse(reg).success).toBe(true);
  });

  it("a code-declared schedule takes create's shorthands cron and intervalSeconds, typed as create types them", () => {
    // Written without a cast: the README says a code schedule takes create's fields, so the type must take them too.
    const schedules: ScheduleDefinition[] = [{ cron: "0 6 * * *", timezone: "Europe/Paris" }, { key: "poll", intervalSeconds: "15m" }];
    const wf = defineWorkflow({ name: "shorthands", schedules, run: async () => null });
    const reg = buildRegistration(resolveWorkerOptions({ ...base, workflows: [wf] }));
    expect(reg.workflows[0]!.schedules).toEqual([{ cron: "0 6 * * *", timezone: "Europe/Paris" }, { key: "poll", interval_seconds: 900 }]);
    expect(RegisterWorkerRequest.safeParse(reg).success).toBe(true);
  });

  it.each<[ScheduleDefinition, string]>([
    [{ cronExpressions: ["0 0 * * *"], timezone: "Mars/Olympus" }, 'workflow "w" schedules.0.timezone: unknown time zone "Mars/Olympus"'],
    [{ intervals: [{ every: "1h", offset: "2h" }] }, 'workflow "w" schedules.0.intervals.0.offset: offset (7200s) must be smaller than every (3600s)'],
    [{ input: {} }, 'workflow "w" schedules.0.cron_expressions: a schedule needs at least one of'],
    [{ intervals: [{ every: "often" as never }] }, 'workflow "w" schedules.0.intervals.0.every: invalid duration "often"'],
    [{ cronExpressions: ["@daily"], key: "has space" }, 'workflow "w" schedules.0.key: use letters, digits'],
    [{ cronExpressions: ["@daily"], policy: { overlap: "SOMETIMES" as never } }, 'workflow "w" schedules.0.policy.overlap: Invalid option'],
    // The seeds' snake_case names (Mistral's SchedulePolicy) would otherwise be dropped in silence.
    [{ cronExpressions: ["@daily"], policy: { catchup_window_seconds: 604_800 } as never }, 'workflow "w" schedules.0.policy.catchup_window_seconds: unknown option (did you mean catchupWindowSeconds?)'],
    [{ cronExpressions: ["@daily"], policy: { catchupWindow: "7d", catchupWindowSeconds: 604_800 } }, 'workflow "w" schedules.0.policy.catchupWindowSeconds: give catchupWindow or catchupWindowSeconds, not both'],
    [{ cron_expressions: ["@daily"] } as never, 'workflow "w" schedules.0.cron_expressions: unknown option (did you mean cronExpressions?)'],
    [{ cronExpressions: ["@daily"], timeZone: "Europe/Paris" } as never, 'workflow "w" schedules.0.timeZone: unknown option; expected one of cronExpressions'],
    // An interval's fields too: the offset would be dropped, firing on the hour.
    [{ intervals: [{ every: "1h", offset_seconds: 300 }] } as never, 'workflow "w" schedules.0.intervals.0.offset_seconds: unknown option (did you mean offset?'],
  ])("a malformed schedule stops the worker at start-up, naming the field (%j)", (schedule, message) => {
    const wf = defineWorkflow({ name: "w", schedules: [schedule], run: async () => null });
    expect(() => runWorker({ ...base, workflows: [wf] })).toThrow(message);
  });

  it("a code-declared schedule may declare paused: true, as the README says (a registration pauses an active one)", () => {
    const schedules: ScheduleDefinition[] = [{ cronExpressions: ["@daily"], paused: true }, { cronExpressions: ["@hourly"], paused: false }];
    const wf = defineWorkflow({ name: "paused-in-code", schedules, run: async () => null });
    const reg = buildRegistration(resolveWorkerOptions({ ...base, workflows: [wf] }));
    expect(reg.workflows[0]!.schedules).toEqual([{ cron_expressions: ["@daily"], paused: true }, { cron_expressions: ["@hourly"], paused: false }]);
    expect(RegisterWorkerRequest.safeParse(reg).success).toBe(true);
  });

  it("the seeds' policy names catchupWindowSeconds and retryDelaySeconds (camelCase of catchup_window_seconds, retry_delay_seconds) work as catchupWindow and retryDelay", () => {
    const wire = toWireSchedule("w", { cronExpressions: ["@daily"], policy: { catchupWindowSeconds: 604_800, retryDelaySeconds: 120, retryMax: 2 } }, 0);
    expect(wire.policy).toEqual({ catchup_window_seconds: 604_800, retry_delay_seconds: 120, retry_max: 2 });
    expect(toWireSchedule("w", { cronExpressions: ["@daily"], policy: { catchupWindow: "7d", retryDelay: "2m" } }, 0).policy).toEqual({ catchup_window_seconds: 604_800, retry_delay_seconds: 120 });
  });

  it("retryDelay: null (or retryDelaySeconds: null, as describe reads it back) sends retry_delay_seconds: null, the default", () => {
    expect(toWireSchedule("w", { cronExpressions: ["@daily"], policy: { retryDelay: null } }, 0).policy).toEqual({ retry_delay_seconds: null });
    expect(toWireSchedule("w", { cronExpressions: ["@daily"], policy: { retryDelaySeconds: null } }, 0).policy).toEqual({ retry_delay_seconds: null });
  });

  it("jitterSeconds (describe's spec.jitterSeconds, camelCase of jitter_seconds) works as jitter; both at once is a TypeError", () => {
    expect(toWireSchedule("w", { cronExpressions: ["@daily"], jitterSeconds: 30 }, 0)).toMatchObject({ jitter_seconds: 30 });
    expect(toWireSchedule("w", { cronExpressions: ["@daily"], jitter: "2m" }, 0)).toMatchObject({ jitter_seconds: 120 });
    expect(() => toWireSchedule("w", { cronExpressions: ["@daily"], jitter: "2m", jitterSeconds: 30 }, 0)).toThrow(/give jitter or jitterSeconds, not both/);
  });

  it("Polos' schedule shorthand: a cron string (UTC) or { cron, timezone } is one code-declared schedule; true declares none", () => {
    const daily = defineWorkflow({ name: "daily-report", schedule: "0 9 * * *", run: async () => null });
    const sync = defineWorkflow({ name: "end-of-day-sync", schedule: { cron: "0 17 * * *", timezone: "America/New_York" }, run: async () => null });
    const reminder = defineWorkflow({ name: "user-reminder", schedule: true, run: async () => null });
    // Key "global": the workflow's one system-wide schedule, as Polos' decorator schedule is.
    expect(daily.schedules).toEqual([{ cronExpressions: ["0 9 * * *"], key: "global" }]);
    expect(reminder.schedules).toEqual([]);
    const reg = buildRegistration(resolveWorkerOptions({ ...base, workflows: [daily, sync, reminder] }));
    expect(reg.workflows.map((w) => [w.name, w.schedules])).toEqual([
      ["daily-report", [{ cron_expressions: ["0 9 * * *"], key: "global" }]],
      ["end-of-day-sync", [{ cron_expressions: ["0 17 * * *"], timezone: "America/New_York", key: "global" }]],
      ["user-reminder", []],
    ]);
    expect(() => defineWorkflow({ name: "x", schedule: "0 9 * * *", schedules: [{ cronExpressions: ["0 10 * * *"] }], run: async () => null })).toThrow('workflow "x" schedule: give either schedule or schedules, not both');
    expect(() => defineWorkflow({ name: "x", schedule: { cron: "0 9 * * *", tz: "UTC" } as never, run: async () => null })).toThrow("unknown field tz");
    expect(() => defineWorkflow({ name: "x", schedule: { timezone: "UTC" } as never, run: async () => null })).toThrow("must be a cron expression, { cron, timezone } or true");
    expect(() => defineWorkflow({ name: "x", schedule: " ", run: async () => null })).toThrow("the cron expression is empty");
  });

  it("a workflow's own activities are run by the worker that runs it (run_worker([MyWorkflow]) is enough)", () => {
    const greet = defineActivity({ name: "greet", run: async (n: string) => `hi ${n}` });
    const wf = defineWorkflow({ name: "with-acts", activities: [greet], run: async (ctx) => ctx.executeActivity(greet, "x") });
    const only = resolveWorkerOptions({ url: "http://a:1", apiKey: "k", workflows: [wf] });
    expect([...only.activities.keys()]).toEqual(["greet"]);
    expect(only.activityPollers).toBe(2);
    expect(buildRegistration(only).activities).toEqual(["greet"]);
    // Listed in both places it is one activity; the worker's own definition under that name wins (a stub in a test).
    expect([...resolveWorkerOptions({ url: "http://a:1", apiKey: "k", workflows: [wf], activities: [greet] }).activities.keys()]).toEqual(["greet"]);
    const stub = defineActivity({ name: "greet", run: async () => "stub" });
    expect(resolveWorkerOptions({ url: "http://a:1", apiKey: "k", workflows: [wf], activities: [stub] }).activities.get("greet")).toBe(stub);
    // Two workflows bringing the same definition is one activity; different ones under one name are refused, unless the worker lists its own.
    const also = defineWorkflow({ name: "also-greets", activities: [greet], run: async (ctx) => ctx.executeActivity(greet, "y") });
    expect(resolveWorkerOptions({ url: "http://a:1", apiKey: "k", workflows: [wf, also] }).activities.get("greet")).toBe(greet);
    const other = defineWorkflow({ name: "other-greet", activities: [stub], run: async () => null });
    expect(() => resolveWorkerOptions({ url: "http://a:1", apiKey: "k", workflows: [wf, other] })).toThrow('workflows "with-acts" and "other-greet" bring two activity definitions named "greet"');
    expect(resolveWorkerOptions({ url: "http://a:1", apiKey: "k", workflows: [wf, other], activities: [stub] }).activities.get("greet")).toBe(stub);
  });

  it("rejects inconsistent worker options before touching the network", () => {
    const elsewhere = defineWorkflow({ name: "elsewhere", taskQueue: "gpu", run: async () => null });
    expect(() => runWorker({ ...base, workflows: [elsewhere] })).toThrow('workflow "elsewhere" declares taskQueue "gpu" but this worker polls "default"');
    expect(() => runWorker({ ...base, activities: [noop, defineActivity({ name: "noop", run: async () => 1 })] })).toThrow('two activity definitions are named "noop"');
    expect(() => runWorker({ ...base })).toThrow("a worker needs at least one workflow or activity");
    expect(() => runWorker({ ...base, activities: [noop], concurrency: 0 })).toThrow("concurrency must be an integer ≥ 1");
    expect(() => toWireSchedule("x", { cronExpressions: ["0 0 * * *"], startAt: new Date("nope") }, 0)).toThrow('workflow "x" schedules.0.startAt: invalid Date');
  });

  it("defaults: 10 activity slots, 2 pollers of each kind, 10 s grace, 500 cached runs", () => {
    const o = resolveWorkerOptions({ ...base, workflows: [backup], activities: [noop] });
    expect(o).toMatchObject({ concurrency: 10, workflowPollers: 2, activityPollers: 2, shutdownGraceMs: 10_000, maxCachedWorkflows: 500, handleSignals: false });
    expect(resolveWorkerOptions({ ...base, activities: [noop], concurrency: 1 })).toMatchObject({ workflowPollers: 0, activityPollers: 1 });
  });
});

describe("schedules kept back by the platform", () => {
  let fake: FakePlatform | undefined;
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  it("each conflict in the registration answer is logged as a warning naming the workflow, its schedules and why, and worker.ready carries them", async () => {
    fake = await new FakePlatform().start();
    const why = "build v2 declares a different definition of database_backup_workflow (its schedules, input schema, task queue or execution timeout) than build v1 registered 42s ago; keeping the current definition until all workers agree";
    fake.on("/v1/workflows/workers/register", () => ({
      status: 200,
      body: {
        namespace: "default",
        task_queue: "default",
        workflows: [
          { name: "database_backup_workflow", schedules: ["database_backup_workflow:code-0", "database_backup_workflow:code-1"], applied: false },
          { name: "other", schedules: [], applied: true },
        ],
        activities: ["noop"],
        conflicts: [{ workflow: "database_backup_workflow", message: why }],
      },
    }));
    const warnings: [string, WorkerLogFields | undefined][] = [];
    const logger = { info: () => {}, error: () => {}, warn: (m: string, f?: WorkerLogFields) => void warnings.push([m, f]) };
    const other = defineWorkflow({ name: "other", run: async () => null });
    const worker = runWorker({ ...base, url: fake.url, buildId: "v2", workflows: [backup, other], activities: [noop], logger });
    try {
      const registered = await worker.ready;
      expect(registered.conflicts).toEqual([{ workflow: "database_backup_workflow", scheduleIds: ["database_backup_workflow:code-0", "database_backup_workflow:code-1"], message: why }]);
      expect(warnings).toEqual([
        [
          `the schedules declared in code for workflow "database_backup_workflow" (database_backup_workflow:code-0, database_backup_workflow:code-1) were not applied: ${why}`,
          { workflow: "database_backup_workflow", schedule_ids: ["database_backup_workflow:code-0", "database_backup_workflow:code-1"], reason: why },
        ],
      ]);
    } finally {
      await worker.shutdown();
    }
  });

  it("an answer without conflicts (or from a platform that sends none) warns of nothing", async () => {
    fake = await new FakePlatform().start();
    const warnings: string[] = [];
    const logger = { info: () => {}, error: () => {}, warn: (m: string) => void warnings.push(m) };
    const worker = runWorker({ ...base, url: fake.url, workflows: [backup], logger });
    try {
      expect((await worker.ready).conflicts).toEqual([]);
      expect(warnings).toEqual([]);
    } finally {
      await worker.shutdown();
    }
  });
});

describe("registering again while the worker runs", () => {
  let fake: FakePlatform | undefined;
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  it("registers every registrationRefresh, says once when schedules are kept back and when they are applied again, and stops at shutdown", async () => {
    fake = await new FakePlatform().start();
    const why = "build v1 registered another definition 5s ago";
    const answers = [true, true, false];
    fake.on("/v1/workflows/workers/register", () => {
      const kept = answers.shift() ?? false;
      return {
        status: 200,
        body: {
          namespace: "default",
          task_queue: "default",
          workflows: [{ name: "database_backup_workflow", schedules: ["database_backup_workflow:code-0", "database_backup_workflow:code-1"], applied: !kept }],
          activities: [],
          conflicts: kept ? [{ workflow: "database_backup_workflow", message: why }] : [],
        },
      };
    });
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger = { info: (m: string) => void infos.push(m), error: () => {}, warn: (m: string) => void warnings.push(m) };
    const worker = runWorker({ ...base, url: fake.url, buildId: "v2", workflows: [backup], logger, registrationRefresh: 1 });
    try {
      expect((await worker.ready).conflicts).toHaveLength(1);
      await vi.waitFor(() => expect(fake!.calls("/v1/workflows/workers/register").length).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 50 });
      await vi.waitFor(() => expect(infos).toContain('the schedules declared in code for workflow "database_backup_workflow" are applied'), { timeout: 2_000, interval: 50 });
      // Kept back at start-up and at the first refresh: one warning, not one per registration.
      expect(warnings.filter((w) => w.includes("database_backup_workflow"))).toHaveLength(1);
    } finally {
      await worker.shutdown();
    }
    const sent = fake.calls("/v1/workflows/workers/register").length;
    await new Promise((r) => setTimeout(r, 1_300));
    expect(fake.calls("/v1/workflows/workers/register")).toHaveLength(sent);
    expect(fake.calls("/v1/workflows/workers/register")[1]).toEqual(fake.calls("/v1/workflows/workers/register")[0]);
  });

  it("a refresh whose answer cannot be read does not say that kept-back schedules are applied", async () => {
    fake = await new FakePlatform().start();
    let n = 0;
    fake.on("/v1/workflows/workers/register", () => {
      n++;
      // The start-up answer keeps the schedules back; the refreshes' answers are not the platform's shape (a proxy's page, say).
      if (n > 1) return { status: 200, body: { workflows: "maintenance" } };
      return {
        status: 200,
        body: {
          namespace: "default",
          task_queue: "default",
          workflows: [{ name: "database_backup_workflow", schedules: ["database_backup_workflow:code-0", "database_backup_workflow:code-1"], applied: false }],
          activities: [],
          conflicts: [{ workflow: "database_backup_workflow", message: "build v1 registered another definition 5s ago" }],
        },
      };
    });
    const infos: string[] = [];
    const logger = { info: (m: string) => void infos.push(m), error: () => {}, warn: () => {} };
    const worker = runWorker({ ...base, url: fake.url, buildId: "v2", workflows: [backup], logger, registrationRefresh: 1 });
    try {
      expect((await worker.ready).conflicts).toHaveLength(1);
      await vi.waitFor(() => expect(n).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 50 });
      expect(infos.filter((m) => m.includes("are applied"))).toEqual([]);
    } finally {
      await worker.shutdown();
    }
  });

  it("a refresh answered 503 is retried with backoff, not an interval later, and polling goes on (as the README says)", async () => {
    fake = await new FakePlatform().start();
    const at: number[] = [];
    fake.on("/v1/workflows/workers/register", () => {
      at.push(Date.now());
      if (at.length === 2) return { status: 503, problem: true, body: { type: "about:blank", title: "unavailable", status: 503, code: "index_unavailable", detail: "D1" } };
      return { status: 200, body: { namespace: "default", task_queue: "default", workflows: [], activities: [], conflicts: [] } };
    });
    const worker = runWorker({ ...base, url: fake.url, workflows: [backup], logger: silentWorkerLogger, registrationRefresh: 2, backoff: { initialMs: 10, maxMs: 50 } });
    try {
      await worker.ready;
      await vi.waitFor(() => expect(at.length).toBe(3), { timeout: 5_000, interval: 20 });
      expect(at[2]! - at[1]!).toBeLessThan(1_000);
      const polls = fake.calls("/v1/workflows/tasks/poll").length;
      await vi.waitFor(() => expect(fake!.calls("/v1/workflows/tasks/poll").length).toBeGreaterThan(polls), { timeout: 3_000, interval: 20 });
    } finally {
      await worker.shutdown();
    }
  });

  it("a worker of activities only registers at start-up: it declares nothing a build could hold", async () => {
    fake = await new FakePlatform().start();
    fake.on("/v1/workflows/workers/register", () => ({ status: 200, body: { namespace: "default", task_queue: "default", workflows: [], activities: ["noop"], conflicts: [] } }));
    const worker = runWorker({ ...base, url: fake.url, workflows: [], activities: [noop], logger: silentWorkerLogger, registrationRefresh: 1 });
    try {
      await worker.ready;
      await new Promise((r) => setTimeout(r, 1_500));
      expect(fake.calls("/v1/workflows/workers/register")).toHaveLength(1);
    } finally {
      await worker.shutdown();
    }
  });

  it("each refresh waits from 80 % to 100 % of registrationRefresh, so workers started together do not register in lockstep", () => {
    expect(refreshDelay(300_000, () => 0)).toBe(240_000);
    expect(refreshDelay(300_000, () => 0.5)).toBe(270_000);
    expect(refreshDelay(540_000, () => 0.999_999)).toBeLessThanOrEqual(540_000);
    const waits = new Set(Array.from({ length: 50 }, () => refreshDelay(300_000)));
    expect(waits.size).toBeGreaterThan(1);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(240_000);
  });

  it("registrationRefresh is 0 (only at start-up) or from 1 s to 9 minutes: the platform's conflict window is 10", () => {
    expect(resolveWorkerOptions({ ...base, workflows: [backup] }).registrationRefreshMs).toBe(300_000);
    expect(resolveWorkerOptions({ ...base, workflows: [backup], registrationRefresh: 0 }).registrationRefreshMs).toBe(0);
    expect(() => resolveWorkerOptions({ ...base, workflows: [backup], registrationRefresh: "10m" })).toThrow(RangeError);
  });
});

describe("connection defaults from the environment", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const only = { activities: [noop], handleSignals: false } as const;

  it("a worker reads SUNDIAL_URL and SUNDIAL_API_KEY; its queue defaults to the platform's default queue, as a client's starts do", () => {
    vi.stubEnv("SUNDIAL_URL", "http://10.0.0.5:8787");
    vi.stubEnv("SUNDIAL_API_KEY", "wk.from-env");
    expect(resolveWorkerOptions(only)).toMatchObject({ url: "http://10.0.0.5:8787", apiKey: "wk.from-env", taskQueue: "default" });
    // A queue in the environment would not reach the clients that start the work: not read.
    vi.stubEnv("SUNDIAL_TASK_QUEUE", "reports");
    expect(resolveWorkerOptions(only).taskQueue).toBe("default");
    // Options win over the environment.
    expect(resolveWorkerOptions({ ...only, url: "http://a:1", apiKey: "k2", taskQueue: "gpu" })).toMatchObject({ url: "http://a:1", apiKey: "k2", taskQueue: "gpu" });
  });

  it("without either, the error names the option and its variable", () => {
    vi.stubEnv("SUNDIAL_URL", "");
    vi.stubEnv("SUNDIAL_API_KEY", "");
    expect(() => resolveWorkerOptions(only)).toThrow("url is required (or set SUNDIAL_URL)");
    expect(() => resolveWorkerOptions({ ...only, url: "http://a:1" })).toThrow("apiKey is required (or set SUNDIAL_API_KEY)");
    expect(() => new SundialClient({})).toThrow("url is required (or set SUNDIAL_URL)");
    expect(() => resolveWorkerOptions({ ...only, url: "http://a:1", apiKey: "k", taskQueue: "has space" })).toThrow('taskQueue "has space" is invalid');
  });

  it("the client reads SUNDIAL_URL and SUNDIAL_API_KEY too", async () => {
    vi.stubEnv("SUNDIAL_URL", "http://env.test/");
    vi.stubEnv("SUNDIAL_API_KEY", "ck.from-env");
    const seen: { url: string; auth: string | null }[] = [];
    const client = new SundialClient({
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        seen.push({ url: String(input), auth: new Headers(init?.headers).get("authorization") });
        return new Response(JSON.stringify({ executions: [], next_page_token: null }), { status: 200, headers: { "content-type": "application/json" } });
      },
    });
    await client.executions.list();
    expect(seen).toEqual([{ url: "http://env.test/v1/workflows/executions", auth: "Bearer ck.from-env" }]);
  });
});

describe("LruCache", () => {
  it("evicts the least recently set entry and hands entries out once", () => {
    const cache = new LruCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("a", 10);
    cache.set("c", 3);
    expect(cache.has("b")).toBe(false);
    expect(cache.take("a")).toBe(10);
    expect(cache.take("a")).toBeUndefined();
    expect(cache.size).toBe(1);
    const none = new LruCache<string, number>(0);
    none.set("x", 1);
    expect(none.size).toBe(0);
  });
});
