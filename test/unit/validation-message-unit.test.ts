import { z } from "zod";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../worker/errors";

// A developer who reads only `message` (the admin CLI prints "400 validation_failed: <message>") must learn which
// field is wrong and why; "Invalid json" for a well-formed body named neither.
describe("a validation failure's message", () => {
  const Tenant = z.object({ slug: z.string().regex(/^[a-z0-9-]+$/, "lowercase letters, digits and inner dashes"), name: z.string().min(1) });

  it("names the part of the request, the field and the reason", () => {
    const parsed = Tenant.safeParse({ slug: "Bad Slug", name: "x" });
    const e = ApiError.fromZod(parsed.error!, "json");
    expect(e.status).toBe(400);
    expect(e.code).toBe("validation_failed");
    expect(e.message).toBe("Invalid request body — json.slug: lowercase letters, digits and inner dashes");
    expect(e.issues).toEqual([{ path: "json.slug", message: "lowercase letters, digits and inner dashes", code: "invalid_format" }]);
  });

  it("shows two issues inline and counts the rest", () => {
    const parsed = z.object({ a: z.number(), b: z.number(), c: z.number(), d: z.number() }).safeParse({});
    const e = ApiError.fromZod(parsed.error!, "query");
    expect(e.message).toMatch(/^Invalid query string — query\.a: .+; query\.b: .+ \(and 2 more, see issues\)$/);
    expect(e.issues).toHaveLength(4);
  });

  it("names each unknown field of a strict object at its own path", () => {
    const parsed = z.object({ a: z.object({ b: z.number() }).strict() }).strict().safeParse({ a: { b: 1, bb: 2 }, aa: 1, ab: 2 });
    const e = ApiError.fromZod(parsed.error!, "json");
    expect(e.issues!.map((i) => [i.path, i.code, i.message])).toEqual([
      ["json.a.bb", "unrecognized_keys", 'Unknown field "bb"'],
      ["json.aa", "unrecognized_keys", 'Unknown field "aa"'],
      ["json.ab", "unrecognized_keys", 'Unknown field "ab"'],
    ]);
  });
});
