import { describe, expect, it } from "vitest";
import { api } from "./helpers.ts";

// README ("Errors"): a list's page_token that it did not issue is a 400 invalid_page_token. No list
// issues a token longer than its cursor (the longest id) needs, so one past that is such a token.
describe("a page_token longer than any list issues", () => {
  for (const list of ["/v1/workflows/executions", "/v1/workflows/schedules", "/v1/workflows/types", "/v1/admin/keys"]) {
    it(`${list}: 400 invalid_page_token naming query.page_token, as for any token it did not issue`, async () => {
      for (const token of ["A".repeat(2001), "e30".repeat(1000)]) {
        const r = await api("GET", `${list}?page_token=${token}`);
        expect(r.status, JSON.stringify(r.body)).toBe(400);
        expect(r.body).toMatchObject({ code: "invalid_page_token", field: "query.page_token" });
      }
      // A short one it did not issue answers the same.
      const r = await api("GET", `${list}?page_token=e30`);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("invalid_page_token");
    });
  }
});
