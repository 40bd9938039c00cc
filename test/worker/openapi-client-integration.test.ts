import { describe, expect, it } from "vitest";
import committed from "../../scripts/lib/api/openapi.json";
import { api } from "./helpers";

describe("the OpenAPI document and the brands' typed client", () => {
  it("the typed client was generated from the document the API serves now (npm run api:client)", async () => {
    const res = await api("/openapi.json");
    expect(res.status).toBe(200);
    // When this fails, a route or contract changed: run `npm run api:client` and commit scripts/lib/api/.
    expect(res.body).toEqual(committed);
  });

  it("a request field with a default is optional in the document (a client may leave it out)", async () => {
    const doc = (await api("/openapi.json")).body;
    const tenantInput = doc.components.schemas.CreateTenantInput;
    expect(tenantInput.properties.allowedOrigins.default).toEqual([]);
    expect(tenantInput.required).toEqual(["slug", "name"]);
  });

  it("serves the API reference page from this origin at /api/v1/docs", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.body).toMatch(/API reference/);
    expect(res.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\.[a-z]{2,}\/[^"' ]*\.(js|css)/i);
  });
});
