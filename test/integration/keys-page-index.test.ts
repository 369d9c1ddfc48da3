import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keysPageSql, listKeys } from "../../src/index/api-keys.ts";
import { api, uid } from "./helpers.ts";

async function plan(sql: string, ...args: unknown[]): Promise<string[]> {
  const r = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...args).all<{ detail: string }>();
  return r.results.map((x) => x.detail);
}

describe("GET /v1/admin/keys pages by (created_at, key_id) through an index", () => {
  it("reads a page in index order, without sorting the namespace's keys", async () => {
    for (const after of [false, true]) {
      const steps = await plan(keysPageSql(after), "ns", 1, "k", 10);
      expect(steps.join(" | ")).toMatch(/USING (COVERING )?INDEX api_keys_page/);
      expect(steps.join(" | ")).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("pages keys created in the same millisecond by key_id, each once", async () => {
    const ns = uid("ns-keypage");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await api("POST", "/v1/admin/keys", { kind: "app", namespace: ns, description: `k${i}` });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids.push(r.body.key_id as string);
    }
    // Same created_at for all: the order is key_id's alone.
    await env.DB.prepare("UPDATE api_keys SET created_at = 7 WHERE namespace = ?").bind(ns).run();
    const seen: string[] = [];
    let after: { createdAt: number; keyId: string } | undefined;
    for (;;) {
      const page = await listKeys(env.DB, ns, after, 2);
      if (page.length === 0) break;
      seen.push(...page.map((k) => k.key_id));
      const last = page[page.length - 1]!;
      after = { createdAt: last.created_at, keyId: last.key_id };
    }
    expect(seen).toEqual([...ids].sort());
  });

  // SQLite derives the seek bound from the OR's two created_at terms here (the executions list,
  // ordered DESC, needed an explicit one: ec5e00c): this keeps it so.
  it("a page after a cursor seeks to it: it reads its own rows, not every earlier page's", async () => {
    const ns = uid("ns-keyseek");
    for (let i = 0; i < 40; i++) {
      await env.DB.prepare("INSERT INTO api_keys (namespace, key_id, kind, description, secret_hash, created_at) VALUES (?, ?, 'app', '', 'x', ?)")
        .bind(ns, `${ns}-k${String(i).padStart(2, "0")}`, 1_000 + i)
        .run();
    }
    const r = await env.DB.prepare(keysPageSql(true)).bind(ns, 1_030, `${ns}-k30`, 5).all<{ key_id: string }>();
    expect(r.results.map((k) => k.key_id)).toEqual(["k31", "k32", "k33", "k34", "k35"].map((k) => `${ns}-${k}`));
    expect(r.meta.rows_read).toBeLessThanOrEqual(7);
  });
});

