/**
 * Two corrections to the generated OpenAPI document, which brands generate clients from:
 *  - the generator lists a field with a zod `.default()` as required, but a client may leave it out (the default is
 *    applied on parse), so such fields are made optional;
 *  - a default computed from the clock ("90 days ago") would be frozen into the document at the time it was built,
 *    so date-time defaults are dropped (each such field's description says what the default is).
 */
type JsonSchema = { properties?: Record<string, JsonSchema>; required?: string[]; default?: unknown; format?: string; [k: string]: unknown };

export function clientFacing<T>(doc: T): T {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    const s = node as JsonSchema;
    if (s.properties && Array.isArray(s.required)) {
      const kept = s.required.filter((name) => s.properties![name]?.default === undefined);
      if (kept.length) s.required = kept;
      else delete s.required;
    }
    if (typeof s.default === "string" && /^\d{4}-\d\d-\d\dT/.test(s.default)) delete s.default;
    for (const v of Object.values(s)) walk(v);
  };
  walk(doc);
  return doc;
}
