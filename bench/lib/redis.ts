/**
 * A throw-away local Redis for peer benchmarks: Debian's `redis-server` on a free loopback port,
 * no persistence (no RDB, no AOF), registered for clean-up like every other child process.
 */
import { spawnSync } from "node:child_process";
import { Child, freePort } from "./platform.ts";

export const REDIS_INSTALL_HINT = "apt-get update && apt-get install -y redis-server";

/** Path of redis-server, or null when it is not installed. */
export function findRedisServer(): string | null {
  const r = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : null;
}

export function redisVersion(bin: string): string {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return /v=(\S+)/.exec(r.stdout)?.[1] ?? "?";
}

export interface RedisServer {
  host: string;
  port: number;
  pid: number | undefined;
  version: string;
  stop(): Promise<void>;
}

/** Starts redis-server on 127.0.0.1:<free port> in the foreground (killed at clean-up). */
export async function startRedis(bin: string): Promise<RedisServer> {
  const port = await freePort();
  const child = new Child("redis-server", bin, [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--protected-mode", "yes",
    "--save", "",
    "--appendonly", "no",
    "--daemonize", "no",
    "--maxmemory-policy", "noeviction",
    "--loglevel", "notice",
  ]);
  await child.waitFor("Ready to accept connections", 15_000);
  return { host: "127.0.0.1", port, pid: child.pid, version: redisVersion(bin), stop: () => child.stop() };
}
