import { describe, expect, it } from "vitest";
import { api, PLATFORM } from "./helpers";

// What a first-time user typing the README's curl lines meets when one header or field is off: an answer that says
// what to fix, in the one error shape, with a 4xx.
describe("first-run mistakes", () => {
  it("a JSON body sent without Content-Type: application/json (curl -d's default form type) is told to send it as JSON", async () => {
    const r = await api("/platform/tenants", {
      method: "POST", token: PLATFORM, body: '{"slug":"acme-firstrun","name":"Acme"}', headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe("unsupported_media_type");
    expect(r.body.error.message).toContain("Content-Type: application/json");
    expect(r.body.error.message).toContain("application/x-www-form-urlencoded");
    expect(r.body.error.requestId).toEqual(expect.any(String));
  });

  it("a field out of its rule is named with its reason in the message, not only in issues", async () => {
    const r = await api("/platform/tenants", { method: "POST", token: PLATFORM, json: { slug: "Bad Slug", name: "x" } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("validation_failed");
    expect(r.body.error.message).toMatch(/^Invalid request body — json\.slug: /);
    expect(r.body.error.issues[0].path).toBe("json.slug");
  });
});
