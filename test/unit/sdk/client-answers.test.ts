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
