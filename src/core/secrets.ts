import type { FieldIssue } from "./errors.ts";

/** Fewest characters a secret may have: `openssl rand -hex 32` gives 64; a short one is guessable. */
export const MIN_SECRET_CHARS = 32;

/** The deployment's secret vars as the Worker reads them (src/env.ts). */
export interface SecretVars {
  SUNDIAL_DEV_MODE?: string | undefined;
  SUNDIAL_PEPPER?: string | undefined;
  SUNDIAL_TOKEN_SECRET?: string | undefined;
  SUNDIAL_ADMIN_KEY?: string | undefined;
}

/**
 * What is wrong with a deployment's secrets, one issue per secret (empty: configured). Outside dev
 * mode SUNDIAL_PEPPER and SUNDIAL_TOKEN_SECRET are required; any of them that is set, and the
 * secret part (after the first `.`) of the optional SUNDIAL_ADMIN_KEY, must have at least
 * {@link MIN_SECRET_CHARS} characters. An empty value counts as unset. Messages name the secret
 * and its length, never its value.
 *
 * @example
 * secretIssues({ SUNDIAL_PEPPER: "short", SUNDIAL_TOKEN_SECRET: "t".repeat(64) })
 * // [{ field: "SUNDIAL_PEPPER", message: "SUNDIAL_PEPPER has 5 characters; it needs at least 32" }]
 */
export function secretIssues(vars: SecretVars): FieldIssue[] {
  const devMode = vars.SUNDIAL_DEV_MODE === "true";
  const issues: FieldIssue[] = [];
  for (const name of ["SUNDIAL_PEPPER", "SUNDIAL_TOKEN_SECRET"] as const) {
    const value = vars[name] ?? "";
    if (value === "") {
      if (!devMode) issues.push({ field: name, message: `${name} is not set` });
    } else if (value.length < MIN_SECRET_CHARS) {
      issues.push({ field: name, message: `${name} has ${value.length} characters; it needs at least ${MIN_SECRET_CHARS}` });
    }
  }
  const admin = vars.SUNDIAL_ADMIN_KEY ?? "";
  if (admin !== "") {
    const dot = admin.indexOf(".");
    const secret = dot < 0 ? "" : admin.slice(dot + 1);
    if (secret.length < MIN_SECRET_CHARS) {
      issues.push({ field: "SUNDIAL_ADMIN_KEY", message: `SUNDIAL_ADMIN_KEY's secret (after "<key_id>.") has ${secret.length} characters; it needs at least ${MIN_SECRET_CHARS}` });
    }
  }
  return issues;
}
