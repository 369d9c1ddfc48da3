import fc from "fast-check";

/**
 * Generators for the API fuzz suite (fuzz.test.ts): request bodies walked from the OpenAPI
 * document's JSON Schemas, with domain knowledge for the fields where bugs hide (cron, zones,
 * durations, timestamps, ids), and the hostile values every field gets some of the time.
 */

export type Schema = { [k: string]: any } | boolean;

/** Values no field expects: wrong types, extremes, NaN-like strings, injection-looking text. */
export const weird: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -0, -1, 0.5, 1e21, 1e308, -1e308, 5e-324, 2 ** 53, 2 ** 53 + 2, 2 ** 64, -(2 ** 63), "", " ", "NaN", "Infinity", "-Infinity", "1e400", "-1", "0x10", "1_000", "١٢٣", "null", "undefined", "true", "__proto__", "constructor", "\u0000", "\ud800", "💥", "<script>alert(1)</script>", "'; DROP TABLE schedules; --", "../../etc/passwd", "%00", {}, [], [[]], { __proto__: null }, JSON.parse('{"__proto__":{"polluted":1}}')) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 40_000 }).map((n) => "x".repeat(n)) },
);

const CRON_OK = ["* * * * *", "0 0 1 1 *", "*/15 9-17 * * 1-5", "@daily", "@hourly", "@weekly", "@monthly", "@yearly", "0 0 L * *", "0 0 15W * *", "0 0 LW * *", "0 0 * * 5#3", "0 0 * * 5L", "0 0 29 2 *", "30 2 * * *", "15 2 * * *", "0 0 0 * * *", "*/5 * * * * *", "59 23 31 12 *", "0 0 * * 7", "0 12 * * MON-FRI", "0 0 1 JAN *", "0 * * * *", "0 1 * * 0"];
const CRON_BAD = ["", " ", "* * * *", "* * * * * * *", "60 * * * *", "* 24 * * *", "* * 32 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "L L L L L", "@reboot", "@every 5m", "0 0 30 2 *", "0 0 31 4 *", "? * * * *", "a b c d e", "1,,2 * * * *", "99999999999999999999 * * * *", "-1 * * * *", "* * * * 5#6", "*/-1 * * * *", "* * * * * *".repeat(40), "0 0 * * 1#0", "0 0 0W * *", "#", "L", "W * * * *", "*/1e3 * * * *"];
const CRON_TOKENS = ["*", "*/2", "*/0", "0", "1", "5", "7", "12", "23", "31", "59", "60", "99", "-1", "1-5", "5-1", "1,2,3", "L", "W", "15W", "5#3", "5L", "?", "JAN", "MON", "MON-FRI", "x", ""];

export const cronArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...CRON_OK) },
  { weight: 3, arbitrary: fc.constantFrom(...CRON_BAD) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...CRON_TOKENS), { minLength: 4, maxLength: 7 }).map((t) => t.join(" ")) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

export const timezoneArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom("UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu", "Europe/Kyiv", "Asia/Pyongyang", "America/Sao_Paulo", "Etc/GMT+12", "Etc/GMT-14", "EST5EDT", "utc", "America/Argentina/ComodRivadavia"),
  fc.constantFrom("Mars/Olympus", "", "+05:00", "GMT+5", "Europe/Lond", "America/New_York ", "../etc/localtime", "A".repeat(65), "Etc/GMT+14", "local", "Z", "America/New York"),
  fc.string({ maxLength: 20 }),
);

/** Durations: seconds or "90s"/"5m"/"2h"/"1d", good and bad, tiny and astronomic. */
export const durationArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(0, -0, -1, 0.0001, 0.999, 1, 1.5, 59.5, 60, 3600, 86_400, 86_400 * 366, 86_400 * 366 * 100, 86_400 * 366 * 101, 1e9, 1e12, 1e15, 1e300, 5e-324, 2 ** 53),
  fc.constantFrom("90s", "5m", "2h", "1d", "1ms", "0s", "-5m", "5 m", "5M", "1e3s", "1.5h", "99999999999999999999999999d", "9999999999999999999999999999999d", "5w", "", "s", "1d2h", " 5m ", "NaN", "Infinity", "0x10s"),
  fc.double({ min: -1e6, max: 1e7, noNaN: true }),
  fc.integer({ min: 0, max: 10 ** 9 }),
);

/** RFC 3339 times, real and impossible, from year 0 to 9999 and past it. */
export const timestampArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom("2027-01-01T00:00:00Z", "2030-01-01T00:00:00.000Z", "2027-06-01T12:34:56.789+02:00", "2029-12-31T23:59:59-12:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999-23:59", "0000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z"),
  fc.constantFrom("2026-02-30T00:00:00Z", "2027-13-01T00:00:00Z", "2027-01-01T24:00:00Z", "2016-12-31T23:59:60Z", "2027-01-01T00:00:00", "2027-01-01", "2027-01-01T00:00:00+24:00", "2027-01-01T00:00:00.1234567891Z", "2027-01-01T00:00:00z", "+275760-09-13T00:00:00Z", "2027-01-01 00:00:00Z", "1e400", ""),
  fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()),
);

const ID_BAD = ["", " ", "a/b", "../x", " x", "x ", "x".repeat(201), "ünïcode", "a\u0000b", ".hidden", "-dash", "a%2Fb", "a?b", "a#b"];
export const identifierArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,40}$/) },
  { weight: 1, arbitrary: fc.constantFrom(...ID_BAD) },
);

/**
 * Input JSON Schemas a worker might register: zod-like ones, and malformed ones (null or scalar
 * sub-schemas, keywords of the wrong type). No $ref inside $defs, so no reference cycles, and no
 * pattern with catastrophic backtracking: both would make the validator run for ever (reported).
 */
const leafSchema: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(true, false, null, 5, "string", [], {}, { type: "string" }, { type: "integer", minimum: 0 }, { type: ["string", "null"] }, { enum: [1, "a", null] }, { const: { a: 1 } }, { type: "string", pattern: "^[a-z]+$" }, { type: "string", pattern: "(" }, { type: 5 }, { minLength: "3" }),
  fc.record({ type: fc.constantFrom<unknown>("string", "number", "integer", "object", "array", "boolean", "null", 5, null), maxLength: fc.nat(5), minimum: fc.integer({ min: -5, max: 5 }) }, { requiredKeys: ["type"] }),
);
export const inputSchemaArb: fc.Arbitrary<unknown> = fc.letrec<{ schema: unknown }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafSchema,
    fc.record(
      {
        type: fc.constantFrom<unknown>("object", "array", "string", ["object", "null"], 5),
        properties: fc.oneof(fc.dictionary(fc.constantFrom("a", "b", "name", "constructor", "__proto__", "toString"), tie("schema"), { maxKeys: 3 }), fc.constantFrom<unknown>(null, [], 5)),
        required: fc.oneof(fc.array(fc.constantFrom("a", "b", "toString"), { maxLength: 2 }), fc.constantFrom<unknown>("a", null, [5])),
        additionalProperties: fc.oneof(fc.boolean(), tie("schema")),
        items: tie("schema"),
        prefixItems: fc.oneof(fc.array(tie("schema"), { maxLength: 2 }), fc.constantFrom<unknown>(null, {})),
        anyOf: fc.oneof(fc.array(tie("schema"), { maxLength: 3 }), fc.constantFrom<unknown>(null, 3, {})),
        allOf: fc.array(tie("schema"), { maxLength: 2 }),
        $ref: fc.constantFrom("#/$defs/a", "#/$defs/missing", "#/definitions/a", "http://example.com/s", "#"),
        $defs: fc.oneof(fc.dictionary(fc.constantFrom("a", "b"), leafSchema, { maxKeys: 2 }), fc.constantFrom<unknown>(null, 5)),
      },
      { requiredKeys: [] },
    ),
  ),
})).schema;

/** Domain generators by property name (they win over the schema's own shape). */
const BY_NAME: Record<string, fc.Arbitrary<unknown>> = {
  cron: cronArb,
  timezone: timezoneArb,
  interval_seconds: durationArb,
  every: durationArb,
  offset: durationArb,
  jitter_seconds: durationArb,
  catchup_window_seconds: durationArb,
  retry_delay_seconds: durationArb,
  execution_timeout: durationArb,
  start_at: timestampArb,
  end_at: timestampArb,
  after: timestampArb,
  schedule_id: identifierArb,
  execution_id: identifierArb,
  key: identifierArb,
  request_id: identifierArb,
  input_schema: inputSchemaArb,
};
const ITEMS_BY_NAME: Record<string, fc.Arbitrary<unknown>> = { cron_expressions: cronArb, exclude: cronArb, at: timestampArb };

function resolveRef(schema: { $ref: string }, root: Schema): Schema {
  const m = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
  return (m && typeof root === "object" && root.$defs?.[m[1]!]) || true;
}

/**
 * A value for a JSON Schema: usually of the right shape (so the request reaches deeper code),
 * sometimes a hostile value instead (`weirdness` of the time, at every level).
 */
export function valueFor(schema: Schema, root: Schema, depth = 0, name?: string, weirdness = 0.12): fc.Arbitrary<unknown> {
  const shaped = shapedValue(schema, root, depth, name, weirdness);
  return fc.oneof({ weight: Math.round((1 - weirdness) * 100), arbitrary: shaped }, { weight: Math.round(weirdness * 100), arbitrary: weird });
}

function shapedValue(schema: Schema, root: Schema, depth: number, name: string | undefined, weirdness: number): fc.Arbitrary<unknown> {
  if (name && BY_NAME[name]) return BY_NAME[name]!;
  if (typeof schema === "boolean") return fc.jsonValue({ maxDepth: 2 });
  if (schema.$ref) return depth > 3 ? fc.constant({ message: "deep" }) : valueFor(resolveRef(schema as { $ref: string }, root), root, depth + 1, undefined, weirdness);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: fc.constantFrom("skip", "SKIP ", "none", "*") });
  const options = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(options)) return fc.oneof(...options.map((o: Schema) => valueFor(o, root, depth + 1, name, weirdness)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      if (typeof schema.pattern === "string") return fc.oneof({ weight: 4, arbitrary: fc.stringMatching(new RegExp(schema.pattern.replace(/\*\$$/, `{0,${Math.min(60, (schema.maxLength ?? 60) - 1)}}$`))) }, { weight: 1, arbitrary: fc.constantFrom(...ID_BAD) });
      return fc.string({ maxLength: Math.min(schema.maxLength ?? 50, 50) });
    case "integer":
      return fc.oneof(fc.integer({ min: Math.max(schema.minimum ?? -1e6, -1e9), max: Math.min(schema.maximum ?? 1e6, 1e9) }), fc.constantFrom(-1, 0, 1, 10_001, 2 ** 31, 2 ** 53 + 2, 1e21));
    case "number":
      return fc.oneof(fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e9, noNaN: true }), fc.constantFrom(-1, 0, 1e-9, 1e300));
    case "boolean":
      return fc.boolean();
    case "array": {
      const items = name && ITEMS_BY_NAME[name] ? ITEMS_BY_NAME[name]! : valueFor(schema.items ?? true, root, depth + 1, undefined, weirdness);
      return fc.array(items, { maxLength: Math.min(schema.maxItems ?? 4, depth > 1 ? 2 : 4) });
    }
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set<string>(schema.required ?? []);
      const keys = Object.keys(props);
      if (keys.length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
      const model = Object.fromEntries(keys.map((k) => [k, valueFor(props[k]!, root, depth + 1, k, weirdness)]));
      // Required fields are usually there (a missing one is one of the failures we want too).
      const requiredKeys = keys.filter((k) => required.has(k));
      const drop: fc.Arbitrary<string | undefined> = requiredKeys.length ? fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...requiredKeys) }) : fc.constant(undefined);
      return fc.tuple(fc.record(model, { requiredKeys }), drop).map(([r, gone]) => {
        const out: Record<string, unknown> = { ...r };
        if (gone !== undefined) delete out[gone];
        return out;
      });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** An object body for a schema, where required fields are present unless the generator dropped them. */
export function bodyFor(schema: Schema, weirdness = 0.12): fc.Arbitrary<Record<string, unknown>> {
  if (typeof schema === "boolean" || schema.type !== "object") return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const required: string[] = schema.required ?? [];
  const optional = Object.keys(props).filter((k) => !required.includes(k));
  return fc
    .tuple(
      fc.tuple(...required.map((k) => fc.option(valueFor(props[k]!, schema, 1, k, weirdness), { nil: undefined, freq: 12 }))),
      fc.subarray(optional, { maxLength: Math.min(5, optional.length) }).chain((keys) => fc.tuple(...keys.map((k) => valueFor(props[k]!, schema, 1, k, weirdness).map((v) => [k, v] as const)))),
    )
    .map(([req, opt]) => {
      const out: Record<string, unknown> = {};
      required.forEach((k, i) => {
        if (req[i] !== undefined) out[k] = req[i];
      });
      for (const [k, v] of opt) out[k] = v;
      return out;
    });
}

/** A field name no request schema has (every request schema is strict, so it is always a 422). */
export const unknownKeyArb = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "$ref", "", " ", "Workflow", "workflow ", "sCheDule_id", "💥", "a.b", "x".repeat(300)),
  fc.stringMatching(/^zz_[a-z0-9_]{1,12}$/),
);

/** Bytes that are not UTF-8: a stray continuation byte, an overlong form, a surrogate, a cut sequence, 0xFF. */
export const invalidUtf8Arb: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.uint8Array({ maxLength: 40 }), fc.constantFrom([0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]), fc.uint8Array({ maxLength: 40 }), fc.boolean())
  .map(([pre, bad, post, wrap]) => {
    const ascii = (a: Uint8Array) => Array.from(a, (b) => 0x20 + (b % 0x5f));
    const inner = [...ascii(pre), ...bad, ...ascii(post)];
    // Half of them hide the bad bytes inside an otherwise valid JSON string.
    return Uint8Array.from(wrap ? [...new TextEncoder().encode('{"workflow":"'), ...inner, 0x22, 0x7d] : inner);
  });

/** Text that JSON.parse rejects. */
export const invalidJsonArb: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom("{", "}", "{'a':1}", '{"a":}', '{"a":1,}', "[1,2", "NaN", "Infinity", "undefined", '{"a":01}', '{"a":"\\x41"}', '{"a":"\u0001"}', "{\"a\":1}{", "\u0000", "//", '{"a":1} trailing', "{a:1}", '{"a":.5}', '{"a":+1}', '{"a":1e}'),
    fc.string({ maxLength: 60 }),
    fc.string({ maxLength: 60 }).map((s) => `{"workflow": ${s}`),
  )
  .filter((t) => {
    // An empty body is no body at all (valid where the body is optional): never generated here.
    if (t.length === 0) return false;
    try {
      JSON.parse(t);
      return false;
    } catch {
      return true;
    }
  });

/** Non-object JSON bodies (valid JSON, wrong shape). */
export const nonObjectJsonArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("null", "true", "0", "-1", '""', '"{}"', "[]", "[{}]", "1e400", '[{"workflow":"x"}]'),
  fc.jsonValue({ maxDepth: 2 }).filter((v) => v === null || typeof v !== "object" || Array.isArray(v)).map((v) => JSON.stringify(v)),
);

const SEGMENTS = ["v1", "workflows", "schedules", "executions", "tasks", "workers", "admin", "keys", "preview", "pause", "resume", "trigger", "backfill", "history", "result", "cancel", "terminate", "register", "whoami", "poll", "workflow", "activity", "complete", "fail", "heartbeat", "ack", "health", "openapi.json"];

/** One path segment: a route word, an id-looking string, or something a router might choke on. */
export const segmentArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SEGMENTS) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,24}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map(encodeURIComponent) },
  { weight: 2, arbitrary: fc.constantFrom("%ZZ", "%", "%2F", "%00", "%E0%A4%A", "..", ".", "%2e%2e", "a%2Fb", "x".repeat(300), "%F0%9F%92%A5", "%C0%AF", "%FF", "a;b", "*", "%3Fq=1", "%23", "~", "!$&'()*+,;=", "%u0041", "%252F") },
);

/** Query-string pairs for known and unknown parameters, values good and bad. */
export function queryArb(known: string[]): fc.Arbitrary<string> {
  const key = fc.oneof({ weight: 3, arbitrary: known.length ? fc.constantFrom(...known) : fc.constant("page_size") }, { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "toString", "namespace", "PAGE_SIZE", "page_size[]", "", "a b", "%ZZ") }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z_]{1,10}$/) });
  const value = fc.oneof(
    fc.constantFrom("", "0", "1", "-1", "50", "500", "501", "1e2", "1e400", "NaN", "Infinity", "-Infinity", " 5", "5 ", "0x10", "1.5", "true", "null", "running", "active", "api", "code", "%ZZ", "%00", "x".repeat(600), "eyJpIjoiYSJ9", "eyJzIjpudWxsLCJpIjpudWxsfQ", "eyJzIjoieCIsImkiOnt9fQ", "e30", "W10", "bnVsbA", "!!!", "999999999", "1234567890", "2027-01-01T00:00:00Z", "2027-01-01T00:00:00+01:00", "2027-01-01T00:00:00 01:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "2027-02-30T00:00:00Z"),
    fc.string({ maxLength: 20 }),
  );
  return fc.array(fc.tuple(key, value), { maxLength: 5 }).map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k.includes("%") ? k : encodeURIComponent(k)}=${v.includes("%") ? v : encodeURIComponent(v)}`).join("&")}`));
}

/** JSON text nested `depth` levels deep (arrays or objects), built without recursion. */
export function nested(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}
