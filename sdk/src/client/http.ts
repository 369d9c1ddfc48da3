import { ProblemAnswer } from "../protocol/problem.ts";
import { SundialApiError, SundialConnectionError } from "./errors.ts";
import { optionNames, rejectUnknownOptions } from "./options.ts";

/** How to reach the platform. An option it does not know is a `TypeError`. */
export interface ConnectionOptions {
  /** Base URL of the platform, e.g. `http://127.0.0.1:8787`. Default: the `SUNDIAL_URL` environment variable. */
  url?: string;
  /**
   * API key, sent as `Authorization: Bearer <key>`. Default: the `SUNDIAL_API_KEY` environment
   * variable. A client without one sends no key: `health()` (the one route that needs none)
   * works, and every other call rejects with the platform's {@link SundialApiError} 401 `unauthorized`.
   */
  apiKey?: string;
  /** A `fetch` to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
  /**
   * How long a request may go unanswered before it is given up with a transient
   * {@link SundialConnectionError} (a hung platform, a black-holed connection), unless the call sets
   * its own (requests the platform holds, such as `result` or a worker's poll, wait for their hold
   * plus a margin). Default: {@link DEFAULT_REQUEST_TIMEOUT_MS}, one minute; at most 2^31 - 1 ms
   * (about 24.8 days: a RangeError past it).
   */
  requestTimeoutMs?: number;
}

/**
 * The connection options, checked as every call's are: a misspelt `apiKey` (`apikey`, `api_key`)
 * would fall back to `SUNDIAL_API_KEY` (another key, maybe of another namespace) or to no key.
 */
const CONNECTION_OPTIONS = optionNames({ url: true, apiKey: true, fetch: true, requestTimeoutMs: true } satisfies Record<keyof ConnectionOptions, true>);

/** How long a request without a deadline of its own may go unanswered: one minute. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** The longest `requestTimeoutMs`: the longest delay `setTimeout` keeps (2^31 - 1 ms, about 24.8 days). */
const MAX_REQUEST_TIMEOUT_MS = 2_147_483_647;

/** An environment variable where there is one (Node, Bun, Deno with env access); undefined elsewhere (browsers, Workers). */
export function fromEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name] || undefined;
}

/** One HTTP request. */
export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  /**
   * Gives up once this long passed without the whole answer (a hung platform, a black-holed
   * connection), with a transient {@link SundialConnectionError}: unlike an abort by `signal`, worth
   * retrying. Default: the transport's `requestTimeoutMs` (one minute unless set).
   */
  timeoutMs?: number;
  /**
   * When set, an abort by `signal` once the answer's headers arrived no longer ends the request at
   * once: its body gets this many ms more to arrive (still within `timeoutMs`), and the call
   * resolves with the answer as if no abort came (a worker's poll: a task the platform already
   * handed out reaches the worker, which hands it back, instead of being lost). Past it, the call
   * rejects with the signal's reason. Unset: an abort ends the request whenever it comes.
   */
  bodyGraceMs?: number;
}

/** A successful answer: the status (2xx) and the parsed JSON body (undefined for 204). */
export interface HttpResponse {
  status: number;
  body: unknown;
}

/**
 * The SDK's only HTTP code: JSON in and out, bearer auth, and one mapping of failures — a
 * problem+json answer becomes a {@link SundialApiError}, a network failure or a request past its
 * `timeoutMs` a {@link SundialConnectionError}. An aborted request rejects with its signal's reason.
 */
export class HttpTransport {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly requestTimeoutMs: number;

  constructor(options: ConnectionOptions) {
    rejectUnknownOptions(options, CONNECTION_OPTIONS, "");
    const url = options.url ?? fromEnv("SUNDIAL_URL");
    const apiKey = options.apiKey ?? fromEnv("SUNDIAL_API_KEY");
    if (!url) throw new TypeError("url is required (or set SUNDIAL_URL), e.g. http://127.0.0.1:8787");
    this.baseUrl = url.replace(/\/+$/, "");
    // No key (an empty one included): health needs none, and the platform says what the rest need.
    this.apiKey = apiKey || undefined;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    const limit = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // setTimeout takes at most 2^31 - 1 ms (about 24.8 days): past it Node fires at once.
    if (!Number.isFinite(limit) || limit <= 0 || limit > MAX_REQUEST_TIMEOUT_MS) throw new RangeError(`requestTimeoutMs must be a number of milliseconds from 1 to ${MAX_REQUEST_TIMEOUT_MS} (about 24.8 days), got ${limit}`);
    this.requestTimeoutMs = limit;
  }

  /** Sends one request; resolves for 2xx, throws otherwise. */
  async request(method: "GET" | "POST" | "DELETE" | "PUT" | "PATCH", path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    // An id or name that is empty, "." or ".." makes the URL name another route: `GET …/types/`
    // is the list (answered 200, then refused as an invalid response), `…/executions/../cancel`
    // goes up the tree. No id or name can be one of them: the caller's error, before anything is sent.
    if (path.split("/").slice(1).some((s) => s === "" || s === "." || s === "..")) {
      throw new TypeError(`${method} ${path}: an id or name in the path is empty, "." or "..", which names none; nothing was sent`);
    }
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: "application/json, application/problem+json" };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    // Serialised before the call: a body that is not JSON is the caller's error, never a network failure to retry.
    const body = options.body === undefined ? undefined : jsonBody(options.body, `${method} ${url.pathname}`);
    // An aborted call sends nothing; every abort below rejects with the signal's own reason
    // (workerd's fetch rejects with a copy of it, Node's with the reason itself).
    const signal = options.signal;
    signal?.throwIfAborted();
    // fetch gets a signal of its own, linked to the caller's by one listener removed below: Node's
    // fetch leaves its listener on the signal it is given until the request is garbage-collected,
    // and a worker passes the same long-lived signal to thousands of requests.
    const request = new AbortController();
    let headersIn = false;
    let bodyGrace: ReturnType<typeof setTimeout> | undefined;
    const abort = () => {
      if (!headersIn || options.bodyGraceMs === undefined) return request.abort(signal?.reason);
      bodyGrace = setTimeout(() => request.abort(signal?.reason), options.bodyGraceMs);
    };
    signal?.addEventListener("abort", abort, { once: true });
    const limit = options.timeoutMs ?? this.requestTimeoutMs;
    const timeout = setTimeout(() => request.abort(new DOMException(`no answer within ${limit} ms`, "TimeoutError")), limit);
    try {
      let response: Response;
      try {
        response = await this.fetchImpl(url, { method, headers, ...(body === undefined ? {} : { body }), signal: request.signal });
      } catch (err) {
        signal?.throwIfAborted();
        const where = `${method} ${url.origin}${url.pathname}`;
        if (request.signal.aborted) throw new SundialConnectionError(where, request.signal.reason);
        if (err instanceof Error && err.name === "AbortError") throw err;
        throw new SundialConnectionError(where, err);
      }
      headersIn = true;
      const text = await readBody(response, signal);
      if (response.ok) return { status: response.status, body: text === "" ? undefined : parseJson(text, response.status) };
      throw toApiError(response.status, response.headers.get("content-type") ?? "", text, response.headers.get("retry-after"));
    } finally {
      clearTimeout(timeout);
      clearTimeout(bodyGrace);
      signal?.removeEventListener("abort", abort);
    }
  }
}

/** The request body as JSON text; a TypeError naming the request when it is not JSON (a BigInt, a cycle). */
function jsonBody(value: unknown, request: string): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw new TypeError(`the body of ${request} is not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function readBody(response: Response, signal: AbortSignal | undefined): Promise<string> {
  try {
    return await response.text();
  } catch (err) {
    signal?.throwIfAborted();
    throw new SundialConnectionError(response.url, err);
  }
}

function parseJson(text: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SundialApiError({ type: "about:blank", title: "Bad Response", status, code: "invalid_response", detail: `the platform answered ${status} with a body that is not JSON: ${text.slice(0, 200)}` });
  }
}

/**
 * Maps an error answer to {@link SundialApiError}, also when a proxy answered with something else
 * (`code` `http_{status}`, the body as `detail`); `retryAfter` is its `Retry-After` header. A
 * problem+json body with a `code` keeps it whatever else it adds or leaves out (see `ProblemAnswer`).
 */
export function toApiError(status: number, contentType: string, text: string, retryAfter: string | null = null): SundialApiError {
  const waitMs = retryAfterMs(retryAfter);
  if (contentType.includes("json")) {
    try {
      // Read as another platform version may send it (ProblemAnswer): unknown fields dropped, RFC
      // 9457's optional members defaulted, `status` the answer's own when the body leaves it out.
      const body: unknown = JSON.parse(text);
      const parsed = ProblemAnswer.safeParse(body !== null && typeof body === "object" && !Array.isArray(body) ? { status, ...body } : body);
      if (parsed.success) return new SundialApiError(parsed.data, waitMs);
    } catch {
      // Fall through to the generic mapping.
    }
  }
  const detail = text.trim().slice(0, 500) || `HTTP ${status}`;
  return new SundialApiError({ type: "about:blank", title: `HTTP ${status}`, status, code: `http_${status}`, detail }, waitMs);
}

/**
 * A `Retry-After` header in ms (RFC 9110: delay-seconds or an HTTP date); undefined when absent or unreadable.
 * @example retryAfterMs("5") // 5000
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
