import { describe, expect, it } from "vitest";
import { fromBase64Url, signToken, toBase64Url, verifyToken } from "../../../src/core/crypto.ts";

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
