import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { constantTimeEqual, fromBase64Url, hashSecret, signToken, toBase64Url, verifyToken } from "../../../src/core/crypto.ts";

describe("base64url and task tokens", () => {
  it("round-trips every byte value and every length 0..64", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64Url(toBase64Url(all))).toEqual(all);
    for (let n = 0; n <= 64; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const text = toBase64Url(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(fromBase64Url(text)).toEqual(bytes);
    }
  });

  it("refuses text outside the base64url alphabet", () => {
    expect(fromBase64Url("ab+c")).toBeNull();
    expect(fromBase64Url("ab/c")).toBeNull();
    expect(fromBase64Url("abc=")).toBeNull();
    expect(fromBase64Url("a")).toBeNull(); // one character cannot encode a byte
  });

  it("verifies its own tokens and nothing altered", async () => {
    const payload = { n: "default", e: "exec-1", r: "run-1", k: "w", i: 3, a: 1 };
    const token = await signToken("secret", payload);
    expect(await verifyToken("secret", token)).toEqual(payload);
    expect(await verifyToken("other secret", token)).toBeNull();
    const [body, sig] = token.split(".") as [string, string];
    const flipped = sig.slice(0, -2) + (sig.at(-2) === "A" ? "B" : "A") + sig.at(-1);
    expect(await verifyToken("secret", `${body}.${flipped}`)).toBeNull();
    expect(await verifyToken("secret", `${toBase64Url(new TextEncoder().encode(JSON.stringify({ ...payload, n: "other" })))}.${sig}`)).toBeNull();
  });
});

// DESIGN "Security rules": keys are stored hashed (SHA-256 with a secret pepper) and compared in
// constant time. test/integration/design-rules.test.ts checks the stored row against hashSecret
// itself, which a hashSecret that dropped the pepper would still pass: these pin it independently.
describe("API key hashing and comparison", () => {
  it("hashSecret is SHA-256 of pepper ‖ secret in lower-case hex, so a different pepper gives a different hash", async () => {
    const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
    expect(await hashSecret("pepper-1", "s3cret-value")).toBe(sha256("pepper-1s3cret-value"));
    expect(await hashSecret("", "abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); // FIPS 180-2 "abc"
    expect(await hashSecret("pepper-2", "s3cret-value")).not.toBe(await hashSecret("pepper-1", "s3cret-value"));
  });

  it("constantTimeEqual answers equality, and different lengths are unequal", () => {
    expect(constantTimeEqual("", "")).toBe(true);
    expect(constantTimeEqual("a1b2c3", "a1b2c3")).toBe(true);
    expect(constantTimeEqual("a1b2c3", "x1b2c3")).toBe(false);
    expect(constantTimeEqual("a1b2c3", "a1b2cx")).toBe(false);
    expect(constantTimeEqual("a1b2c3", "a1b2c")).toBe(false);
    expect(constantTimeEqual("é", "e")).toBe(false);
  });

  it("constantTimeEqual reads every character even when the first already differs (no early exit)", () => {
    const reads: number[] = [];
    const counted = (text: string) => {
      const s = new String(text) as String & { charCodeAt(i: number): number };
      s.charCodeAt = (i: number) => {
        reads.push(i);
        return String.prototype.charCodeAt.call(text, i);
      };
      return s as unknown as string;
    };
    expect(constantTimeEqual(counted("Xbcdefgh"), "abcdefgh")).toBe(false);
    expect([...new Set(reads)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("constantTimeEqual does as much work whatever the presented string's length (a secret's length cannot be probed)", () => {
    const work = (presented: string) => {
      let reads = 0;
      const s = new String(presented) as String & { charCodeAt(i: number): number };
      s.charCodeAt = (i: number) => (reads++, String.prototype.charCodeAt.call(presented, i));
      expect(constantTimeEqual(s as unknown as string, "secret-of-20-chars!!")).toBe(false);
      return reads;
    };
    expect(new Set(["", "s", "secret", "secret-of-20-chars!?", "secret-of-20-chars!!-and-more"].map(work))).toEqual(new Set([20]));
    expect(constantTimeEqual("secret-of-20-chars!!", "secret-of-20-chars!!")).toBe(true);
    expect(constantTimeEqual("secret-of-20-chars!!secret-of-20-chars!!", "secret-of-20-chars!!")).toBe(false);
  });
});
