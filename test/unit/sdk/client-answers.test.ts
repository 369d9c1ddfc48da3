import { describe, expect, it } from "vitest";
import { SundialApiError, SundialClient } from "@sundial/sdk/client";
import { fromList, optionNames } from "../../../sdk/src/client/options.ts";

/**
 * The client against answers it was not written for: options it does not know (a typo must not
 * be dropped in silence), and answers of a newer (a field added) or older (an optional field left
 * out) platform, which must still map to the typed result or `SundialApiError`, not `invalid_response`.
 */

interface Seen {
  method: string;
  url: string;
  body: unknown;
}

function scripted(answers: (() => Response)[]) {
  const seen: Seen[] = [];
  const fetchImpl = (async (input: URL | string, init?: RequestInit) => {
    seen.push({ method: init?.method ?? "GET", url: String(input), body: init?.body === undefined ? undefined : JSON.parse(init.body as string) });
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected request ${init?.method} ${String(input)}`);
    return answer();
  }) as typeof fetch;
  return { seen, client: new SundialClient({ url: "http://platform.test", apiKey: "dev.key", fetch: fetchImpl }) };
}

const json = (status: number, body: unknown, type = "application/json") => () => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });

describe("calls whose only option is signal", () => {
  it("reject an unknown option (a typo of signal, or any other) before anything is sent", async () => {
    const { seen, client } = scripted([]);
    const signal = new AbortController().signal;
    const calls: [string, () => Promise<unknown>][] = [
      ["executions.get", () => client.executions.get("o-1", { singal: signal } as never)],
      ["executions.cancel", () => client.executions.cancel("o-1", "why", { singal: signal } as never)],
      ["executions.terminate", () => client.executions.terminate("o-1", "why", { singal: signal } as never)],
      ["schedules.get", () => client.schedules.get("s-1", { singal: signal } as never)],
      ["schedules.delete", () => client.schedules.delete("s-1", { singal: signal } as never)],
      ["schedules.pause", () => client.schedules.pause("s-1", "note", { singal: signal } as never)],
      ["workflows.get", () => client.workflows.get("hello", { singal: signal } as never)],
      ["taskQueues.describe", () => client.taskQueues.describe("default", { singal: signal } as never)],
      ["whoami", () => client.whoami({ singal: signal } as never)],
      ["health", () => client.health({ singal: signal } as never)],
    ];
    for (const [name, call] of calls) await expect(call(), name).rejects.toThrow(new TypeError("singal: unknown option; expected one of signal"));
    // The wire's name of another call's option is named too.
    await expect(client.executions.cancel("o-1", "why", { request_id: "r" } as never)).rejects.toThrow("request_id: unknown option; expected one of signal");
    expect(seen).toEqual([]);
  });

  it("still take signal, and options set to undefined", async () => {
    const { seen, client } = scripted([json(200, { status: "ok", service: "sundial" })]);
    expect(await client.health({ signal: new AbortController().signal, other: undefined } as never)).toEqual({ status: "ok", service: "sundial" });
    expect(seen).toHaveLength(1);
  });
});

describe("the lists of option names", () => {
  it("are derived from the options types: an option the list lacks, or one the type lacks, does not compile", () => {
    interface Opts { a?: number; signal?: AbortSignal }
    expect(optionNames({ a: true, signal: true } satisfies Record<keyof Opts, true>)).toEqual(["a", "signal"]);
    // @ts-expect-error -- `signal` is missing from the list
    optionNames({ a: true } satisfies Record<keyof Opts, true>);
    // @ts-expect-error -- `b` is no option of the type
    optionNames({ a: true, b: true, signal: true } satisfies Record<keyof Opts, true>);
    expect(optionNames({ ...fromList(["a"] as const), signal: true } satisfies Record<keyof Opts, true>)).toEqual(["a", "signal"]);
  });
});
