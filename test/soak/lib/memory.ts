/**
 * Where `wrangler dev`'s memory is: per workerd process (the runtime that runs the Worker and every
 * Durable Object, and wrangler's proxy in front of it), its anonymous memory, how many Durable
 * Object SQLite databases it has open (one per live object instance), and the V8 heaps of its
 * isolates (read from the runtime's own inspector). Used by load.ts and memory.ts.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface WorkerdSample {
  pid: number;
  /** "runtime": runs the Worker (started with --inspector-addr); "proxy": wrangler's ProxyWorker in front of it. */
  role: "runtime" | "proxy";
  rssMiB: number;
  anonMiB: number;
  /** Open `*.sqlite` files: one per live Durable Object instance (plus D1 and internal stores). */
  liveSqlite: number;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

function kib(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

/** RSS, anonymous RSS and open SQLite databases of one workerd process; null if it is gone. */
export function workerdSample(pid: number): WorkerdSample | null {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    let liveSqlite = 0;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).endsWith(".sqlite")) liveSqlite++;
      } catch {
        /* closed meanwhile */
      }
    }
    return { pid, role: cmdline(pid).includes("--inspector-addr") ? "runtime" : "proxy", rssMiB: kib(rollup, "Rss") / 1024, anonMiB: kib(rollup, "Anonymous") / 1024, liveSqlite };
  } catch {
    return null;
  }
}

/** TCP ports a process listens on (from /proc/net/tcp and its socket fds). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9]!)) continue; // 0A = LISTEN
    ports.push(parseInt(f[1]!.split(":")[1]!, 16));
  }
  return ports;
}

/** The runtime workerd's V8 inspector port (the one whose /json/list names the Worker), or null. */
export async function inspectorPort(pid: number): Promise<number | null> {
  for (const port of listeningPorts(pid)) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(2_000) });
      const list = (await r.json()) as { id: string }[];
      if (Array.isArray(list) && list.some((t) => t.id.startsWith("core:user:"))) return port;
    } catch {
      /* not the inspector */
    }
  }
  return null;
}

export interface HeapUsage {
  target: string;
  usedMiB: number;
  totalMiB: number;
}

/**
 * One CDP session: Runtime.enable, the given calls one after another (workerd's inspector does not
 * answer calls sent before the previous one's reply), Runtime.disable. Null on timeout.
 */
async function cdp(port: number, target: string, calls: string[], timeoutMs = 10_000): Promise<unknown[] | null> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/${target}`);
  const methods = ["Runtime.enable", ...calls, "Runtime.disable"];
  const results: unknown[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
      const send = () => ws.send(JSON.stringify({ id: results.length + 1, method: methods[results.length], params: {} }));
      ws.addEventListener("error", () => reject(new Error("inspector connection failed")));
      ws.addEventListener("message", (e: { data: unknown }) => {
        const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
        if (m.id !== results.length + 1) return;
        results.push(m.result);
        if (results.length < methods.length) return send();
        clearTimeout(timer);
        resolve();
      });
      ws.addEventListener("open", send);
    });
    return results.slice(1, -1);
  } catch {
    return null;
  } finally {
    ws.close();
  }
}

/**
 * V8 heap of every isolate in the runtime (the Worker's, and miniflare's own: D1, the local
 * explorer, the observability collector…). No forced GC: workerd answers
 * HeapProfiler.collectGarbage only once the isolate runs again, which an idle platform never does.
 */
export async function v8Heaps(port: number): Promise<HeapUsage[]> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(5_000) })).json()) as { id: string }[];
  const out: HeapUsage[] = [];
  for (const { id } of list) {
    const u = (await cdp(port, id, ["Runtime.getHeapUsage"]))?.[0] as { usedSize: number; totalSize: number } | undefined;
    if (u) out.push({ target: id, usedMiB: u.usedSize / 1048576, totalMiB: u.totalSize / 1048576 });
  }
  return out;
}

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
