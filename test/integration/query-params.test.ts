import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";

// Query parameters are text: a number in one is decimal digits, and a parameter is given once.
// Number() read `0x10` as 16, `1e1` as 10 and ` 16` as 16; a repeated parameter was silently
// resolved to one of its values.

const LISTS = ["/v1/workflows/schedules", "/v1/workflows/executions", "/v1/workflows/types", "/v1/admin/keys"];

describe("numeric query parameters are plain decimal digits", () => {
  it.each(LISTS)("%s: page_size in hex, exponent, signed, padded or fractional form is a 422 naming query.page_size", async (path) => {
    for (const raw of ["0x10", "1e1", "+16", "%2016", "16%20", "16.0", "0b10", ""]) {
      const r = await api("GET", `${path}?page_size=${raw}`);
      expect(r.status, `${path} page_size=${raw}: ${JSON.stringify(r.body)}`).toBe(422);
      expect(r.body).toMatchObject({ code: "validation_failed", field: "query.page_size" });
      expect(r.body.detail).toMatch(/^query\.page_size: must be a whole number in decimal digits/);
    }
    expect((await api("GET", `${path}?page_size=16`)).status).toBe(200);
    expect((await api("GET", `${path}?page_size=016`)).status).toBe(200);
  });

  it("a history page_size and a result's wait_seconds are held to the same rule", async () => {
    const id = uid("query-exec");
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id })).status).toBe(201);
    const history = await api("GET", `/v1/workflows/executions/${id}/history?page_size=0x10`);
    expect(history.status).toBe(422);
    expect(history.body).toMatchObject({ field: "query.page_size" });
    for (const raw of ["0x1", "1e0", "-0", "%200"]) {
      const r = await api("GET", `/v1/workflows/executions/${id}/result?wait_seconds=${raw}`);
      expect(r.status, `wait_seconds=${raw}: ${JSON.stringify(r.body)}`).toBe(422);
      expect(r.body).toMatchObject({ field: "query.wait_seconds" });
      expect(r.body.detail).toMatch(/^query\.wait_seconds: must be a number in decimal digits/);
    }
    // Decimal fractions stay accepted: wait_seconds is a duration, not a count.
    for (const raw of ["0", "0.0", "0.001"]) expect((await api("GET", `/v1/workflows/executions/${id}/result?wait_seconds=${raw}`)).status, raw).toBe(202);
  });
});

describe("a query parameter given twice is refused", () => {
  it.each<[string, string]>([
    ["/v1/workflows/schedules?key=a&key=b", "key"],
    ["/v1/workflows/schedules?page_size=2&page_size=3", "page_size"],
    ["/v1/workflows/executions?workflow=w&status=running&status=completed", "status"],
    ["/v1/workflows/types?page_token=a&page_token=a", "page_token"],
    ["/v1/admin/keys?namespace=default&namespace=other", "namespace"],
  ])("%s -> 422 naming query.%s", async (path, name) => {
    const r = await api("GET", path);
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body).toMatchObject({ code: "validation_failed", field: `query.${name}` });
    expect(r.body.detail).toBe(`query.${name}: given 2 times; give it once`);
  });
});

// `?workflow=` listed every workflow's executions and schedules (the filter read as absent) while
// `?status=` was a 422: a filter given empty is now a 422 naming it on both lists, as a client that
// sends one (an unset form field) meant some value, not "no filter".
describe("a list filter given empty is refused", () => {
  it.each<[string, string]>([
    ["/v1/workflows/executions", "workflow"],
    ["/v1/workflows/executions", "status"],
    ["/v1/workflows/executions", "schedule_id"],
    ["/v1/workflows/schedules", "workflow"],
    ["/v1/workflows/schedules", "key"],
    ["/v1/workflows/schedules", "status"],
    ["/v1/workflows/schedules", "source"],
  ])("%s?%s= -> 422 naming it", async (path, name) => {
    const r = await api("GET", `${path}?${name}=`);
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body).toMatchObject({ code: "validation_failed", field: `query.${name}` });
    expect(r.body.detail).toBe(`query.${name}: must not be empty (leave the parameter out to list them all)`);
    expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it("an empty page_token still reads the first page (as before), and filters with a value still filter", async () => {
    for (const path of ["/v1/workflows/executions", "/v1/workflows/schedules"]) {
      expect((await api("GET", `${path}?page_token=`)).status, path).toBe(200);
      const none = await api("GET", `${path}?workflow=${uid("no-such-workflow")}`);
      expect(none.status).toBe(200);
      expect(Object.values(none.body).find(Array.isArray)).toEqual([]);
    }
  });

  it("an execution's history reads an empty page_token as the first page too, as every other paged route does", async () => {
    const id = uid("hist-empty-token");
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id })).status).toBe(201);
    const first = await api("GET", `/v1/workflows/executions/${id}/history`);
    const empty = await api("GET", `/v1/workflows/executions/${id}/history?page_token=`);
    expect(empty.status, JSON.stringify(empty.body)).toBe(200);
    expect(empty.body).toEqual(first.body);
  });
});
