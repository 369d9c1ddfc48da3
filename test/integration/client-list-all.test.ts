import { describe, expect, it } from "vitest";
import { collect, type SundialClient } from "@sundial/sdk/client";
import { api, uid } from "./helpers.ts";
import { eventually } from "./schedule-helpers.ts";
import { sdkClient } from "./sdk-worker.ts";

// Each client's listAll against the real Worker: it starts from a page token `list` answered (the
// rest of the list, as `list` would page through it), and an aborted signal ends the loop with the
// signal's reason, between pages and within one, fetching nothing more.

const client = sdkClient();

interface Paging {
  pageSize?: number;
  pageToken?: string;
  signal?: AbortSignal;
}

/** One resource's list and listAll, narrowed to what this test made (a filter, where the list has one). */
interface Lister {
  list(c: SundialClient, o: Paging): Promise<{ items: unknown[]; nextPageToken: string | null }>;
  listAll(c: SundialClient, o: Paging): AsyncGenerator<unknown, void, undefined>;
}

/** Three of each resource, and how to list them. */
const resources: [string, () => Promise<Lister>][] = [
  ["executions", async () => {
    const workflow = uid("la-wf");
    for (let i = 0; i < 3; i++) await client.executions.start(workflow, { executionId: uid("la-exec"), taskQueue: uid("q-la") });
    await eventually(async () => {
      if ((await client.executions.list({ workflow })).executions.length < 3) throw new Error("not indexed yet");
    });
    return {
      list: async (c, o) => {
        const page = await c.executions.list({ workflow, ...o });
        return { items: page.executions, nextPageToken: page.nextPageToken };
      },
      listAll: (c, o) => c.executions.listAll({ workflow, ...o }),
    };
  }],
  ["schedules", async () => {
    const workflow = uid("la-sched");
    for (let i = 0; i < 3; i++) await client.schedules.create({ workflow, key: `k${i}`, cron: "0 * * * *" });
    return {
      list: async (c, o) => {
        const page = await c.schedules.list({ workflow, ...o });
        return { items: page.schedules, nextPageToken: page.nextPageToken };
      },
      listAll: (c, o) => c.schedules.listAll({ workflow, ...o }),
    };
  }],
  ["keys", async () => {
    const namespace = uid("la-keys");
    for (let i = 0; i < 3; i++) await client.keys.create({ kind: "app", namespace });
    return {
      list: async (c, o) => {
        const page = await c.keys.list({ namespace, ...o });
        return { items: page.keys, nextPageToken: page.nextPageToken };
      },
      listAll: (c, o) => c.keys.listAll({ namespace, ...o }),
    };
  }],
  ["workflows", async () => {
    const prefix = uid("la-type");
    const registered = await api("POST", "/v1/workflows/workers/register", { identity: "list-all-test", task_queue: "q-la", workflows: [0, 1, 2].map((i) => ({ name: `${prefix}-${i}` })), activities: [] });
    expect(registered.status).toBe(200);
    return {
      list: async (c, o) => {
        const page = await c.workflows.list(o);
        return { items: page.workflowTypes, nextPageToken: page.nextPageToken };
      },
      listAll: (c, o) => c.workflows.listAll(o),
    };
  }],
];

/** A client that counts the requests it sends. */
function countingClient() {
  const counter = { sent: 0 };
  const c = sdkClient((send) => ((input: RequestInfo | URL, init?: RequestInit) => (counter.sent++, send(input, init))) as typeof fetch);
  return { c, counter };
}

describe.each(resources)("%s.listAll", (_, setup) => {
  it("starts from a page token list answered: the rest of the list, page after page", async () => {
    const lister = await setup();
    const all = await collect(lister.listAll(client, { pageSize: 1 }));
    expect(all.length).toBeGreaterThanOrEqual(3);
    const first = await lister.list(client, { pageSize: 1 });
    expect(first.items).toEqual(all.slice(0, 1));
    const rest = await collect(lister.listAll(client, { pageSize: 1, pageToken: first.nextPageToken! }));
    expect(rest).toEqual(all.slice(1));
  });

  it("an abort between pages ends the loop with the signal's reason and fetches no further page", async () => {
    const lister = await setup();
    const { c, counter } = countingClient();
    const ac = new AbortController();
    const reason = new Error("enough");
    const items = lister.listAll(c, { pageSize: 1, signal: ac.signal });
    expect((await items.next()).done).toBe(false);
    ac.abort(reason);
    await expect(items.next()).rejects.toBe(reason);
    expect(counter.sent).toBe(1);
    expect(await items.next()).toEqual({ done: true, value: undefined });
  });

  it("an abort within a page ends the loop too: the items already fetched are not handed out", async () => {
    const lister = await setup();
    const { c, counter } = countingClient();
    const ac = new AbortController();
    const reason = new Error("enough");
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const item of lister.listAll(c, { pageSize: 3, signal: ac.signal })) {
        seen.push(item);
        ac.abort(reason);
      }
    })();
    await expect(loop).rejects.toBe(reason);
    expect(seen).toHaveLength(1);
    expect(counter.sent).toBe(1);
  });
});
