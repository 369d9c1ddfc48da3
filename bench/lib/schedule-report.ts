/**
 * The schedules suite's report (bench/schedules.ts): one table row per measured phase, each
 * Sundial row beside the BullMQ row of the same kind, the notes that explain the columns, and the
 * issue's floors.
 */
import { printTable } from "./report.ts";
import { floor, ms, pct, rate, ratio } from "./stats.ts";


export interface Row {
  /** workerd: the reference row (a bare new Durable Object per request), neither system. */
  system: "Sundial" | "BullMQ" | "workerd";
  op: string;
  kind: "create" | "fire" | "handoff" | "list";
  n: string;
  perSec: number;
  lat: { p50: number; p99: number; max: number; min: number };
  cpu: Record<string, number> | null;
}

/** Where the reference lines come from: the seed, the D1 count over it, and GET /v1/health. */
export interface ScheduleReference {
  /** Seconds `wrangler d1 execute --file` took to seed the index rows. */
  seedS: number;
  seeded: number;
  /** D1's meta.duration of a SELECT COUNT(*) over the seeded rows. */
  countMs: number;
  healthLat: number[];
  healthCpuMs: number;
}

/** Prints the table, its notes (and `notes`) and the floors, for a run with options `o`. */
export function printSchedulesReport(rows: Row[], notes: string[], o: { n: number; seed: number; concurrency: number }, reference: ScheduleReference): void {
  const { seedS, seeded, countMs, healthLat, healthCpuMs } = reference;
  const peer = (r: Row) => (r.system === "Sundial" ? rows.find((p) => p.system === "BullMQ" && p.kind === r.kind) : undefined);
  const order = { create: 0, fire: 1, handoff: 2, list: 3 } as const;
  const rank = { Sundial: 0, BullMQ: 1, workerd: 2 } as const;
  const sorted = [...rows].sort((a, b) => order[a.kind] - order[b.kind] || rank[a.system] - rank[b.system]);
  const table: (string[] | null)[] = [];
  let prev = "";
  for (const r of sorted) {
    if (prev && prev !== r.kind) table.push(null);
    prev = r.kind;
    const p = peer(r);
    const cpu = r.cpu;
    table.push([
      r.system,
      r.op,
      r.n,
      rate(r.perSec),
      ms(r.lat.min),
      ms(r.lat.p50),
      ms(r.lat.p99),
      ms(r.lat.max),
      cpu ? `${(cpu.other ?? 0) >= 0.5 ? "*" : ""}${(cpu.platform ?? 0).toFixed(2)}/${(cpu.peer ?? 0).toFixed(2)}/${(cpu.bench ?? 0).toFixed(2)}/${(cpu.other ?? 0).toFixed(2)}` : "",
      p && r.kind === "create" ? ratio(r.perSec, p.perSec) : "",
      p ? ratio(r.lat.p50, p.lat.p50) : "",
      p ? ratio(r.lat.p99, p.lat.p99) : "",
    ]);
  }
  console.log("");
  printTable(
    [
      { header: "system" },
      { header: "operation" },
      { header: "n", right: true },
      { header: "per s", right: true },
      { header: "min ms", right: true },
      { header: "p50 ms", right: true },
      { header: "p99 ms", right: true },
      { header: "max ms", right: true },
      { header: "cores plat/redis/bench/other", right: true },
      { header: "rate ÷ BullMQ", right: true },
      { header: "p50 ÷ BullMQ", right: true },
      { header: "p99 ÷ BullMQ", right: true },
    ],
    table,
  );
  console.log("");
  console.log("per s: creates = calls / wall time of the phase; fire lateness = fires / max lateness (how fast the backlog of simultaneous fires drained); list = 1 / mean latency (one at a time).");
  console.log("create latencies: one call, client side. fire lateness: when the task queue released the run's first task to pollers (available_at, platform clock) − due. hand-off: Sundial when a poller (HTTP long poll from this process) received the task, BullMQ Date.now() in the Worker's processor (same machine clock); both minus the nominal due time.");
  console.log("÷ BullMQ = Sundial divided by BullMQ (rate: > 1 Sundial faster; latency: > 1 Sundial slower).");
  const bare = rows.find((r) => r.system === "workerd" && r.kind === "create");
  const sundialCreate = rows.find((r) => r.system === "Sundial" && r.kind === "create");
  if (bare && sundialCreate) {
    console.log(
      `workerd row: the same wrangler dev, just before Sundial's creates: POST /bench/object makes a new SQLite Durable Object by a fresh name and writes one row in it, the least a create that keeps each schedule in its own object can do locally. ` +
        `Sundial's creates ran at ${ratio(sundialCreate.perSec, bare.perSec)} of that rate (a create also checks the request, claims its (workflow, key) in D1, plans fire times and writes its index row).`,
    );
  }
  console.log("cores = CPU used during the phase: platform (wrangler + workerd) / redis-server / this bench process (the BullMQ client and Worker run here) / everything else on the machine; * = other processes used >= 0.5 cores (a shared machine: read that row with care).");
  console.log(`listing reads only the D1 index (schedules_by_key), not the ${o.seed.toLocaleString("en-US")} schedules' Durable Objects; the rows were seeded with wrangler d1 execute --file in ${seedS.toFixed(1)} s.`);
  console.log(`for reference: GET /v1/health through wrangler dev p50 ${ms(pct(healthLat).p50)} ms and ${ms(healthCpuMs)} ms of platform CPU per request; a SELECT COUNT(*) over the namespace's ${seeded.toLocaleString("en-US")} index rows takes ${ms(countMs)} ms in D1 (wrangler d1 execute, meta.duration); creates read a per-namespace counter instead.`);
  for (const n of notes) console.log(n);
  console.log("");
  const fire = rows.find((r) => r.system === "Sundial" && r.kind === "fire")!;
  const create = rows.find((r) => r.system === "Sundial" && r.kind === "create")!;
  console.log("floors (issue):");
  console.log(floor(`fire lateness p99 <= 100 ms for ${o.n.toLocaleString("en-US")} simultaneous fires`, fire.lat.p99 <= 100 && fire.n === `${o.n}/${o.n}`, `p99 ${ms(fire.lat.p99)} ms, max ${ms(fire.lat.max)} ms (${fire.n} fired)`));
  console.log(floor(">= 200 schedule creates/s", create.perSec >= 200, `${rate(create.perSec)} creates/s (${o.concurrency} in flight, ${seeded.toLocaleString("en-US")} index rows present)`));
}
