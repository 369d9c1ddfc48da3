import { describe, expect, it } from "vitest";
import { MIN_SECRET_CHARS, secretIssues, type SecretVars } from "../../../src/core/secrets.ts";

const long = (c: string) => c.repeat(MIN_SECRET_CHARS);
const good = { SUNDIAL_PEPPER: long("p"), SUNDIAL_TOKEN_SECRET: long("t") };

describe("secretIssues", () => {
  it.each<[string, SecretVars, string[]]>([
    ["both secrets of 32 characters", good, []],
    ["dev mode without secrets (the development defaults)", { SUNDIAL_DEV_MODE: "true" }, []],
    ["no secrets outside dev mode", {}, ["SUNDIAL_PEPPER", "SUNDIAL_TOKEN_SECRET"]],
    ["empty secrets are unset", { SUNDIAL_PEPPER: "", SUNDIAL_TOKEN_SECRET: "" }, ["SUNDIAL_PEPPER", "SUNDIAL_TOKEN_SECRET"]],
    ["SUNDIAL_DEV_MODE other than \"true\" is not dev mode", { SUNDIAL_DEV_MODE: "1" }, ["SUNDIAL_PEPPER", "SUNDIAL_TOKEN_SECRET"]],
    ["a pepper of 31 characters", { ...good, SUNDIAL_PEPPER: "p".repeat(31) }, ["SUNDIAL_PEPPER"]],
    ["a short token secret, in dev mode too", { SUNDIAL_DEV_MODE: "true", SUNDIAL_TOKEN_SECRET: "short" }, ["SUNDIAL_TOKEN_SECRET"]],
    ["an admin key with a 64-character secret", { ...good, SUNDIAL_ADMIN_KEY: `admin.${long("a")}${long("b")}` }, []],
    ["an admin key whose secret is short", { ...good, SUNDIAL_ADMIN_KEY: "admin.s3cret-s3cret" }, ["SUNDIAL_ADMIN_KEY"]],
    ["an admin key without a key id: all of it is no secret", { ...good, SUNDIAL_ADMIN_KEY: long("a") }, ["SUNDIAL_ADMIN_KEY"]],
    ["a long key id does not make up for a short secret", { ...good, SUNDIAL_ADMIN_KEY: `${long("k")}.short` }, ["SUNDIAL_ADMIN_KEY"]],
  ])("%s", (_, vars, fields) => {
    expect(secretIssues(vars).map((i) => i.field)).toEqual(fields);
  });

  it("names the secret and its length, never its value", () => {
    const [issue] = secretIssues({ ...good, SUNDIAL_PEPPER: "hunter2-hunter2" });
    expect(issue!.message).toBe(`SUNDIAL_PEPPER has 15 characters; it needs at least ${MIN_SECRET_CHARS}`);
    expect(issue!.message).not.toContain("hunter2");
  });
});
