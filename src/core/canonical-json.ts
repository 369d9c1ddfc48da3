/**
 * JSON text with every object's keys in sorted order (arrays keep theirs): two values that differ
 * only in the order their keys were written give the same text, so a hash of it names the value,
 * not how a caller spelt it. Otherwise as `JSON.stringify` (undefined members are left out).
 * @example canonicalJson({ b: 2, a: { d: 1, c: [2, 1] } }) // '{"a":{"c":[2,1],"d":1},"b":2}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}
