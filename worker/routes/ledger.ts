import { createRoute, z } from "@hono/zod-openapi";
import { LedgerCheckpoint, LedgerExport, LedgerVerification, VoucherProvenance } from "../../schema/ledger";
import { ErrorBody } from "../../schema/errors";
import { ApiError } from "../errors";
import { requireKey } from "../middleware/auth";
import { enforceRateLimit, clientIpKey } from "../middleware/rate-limit";
import { checkpointLedger, exportLedger, publishedCheckpoints, verifyLedger, voucherProvenance } from "../services/ledger";
import { bearerAuth, createRouter, errors, json } from "./router";

const tags = ["ledger"];
const admin = [requireKey("admin")];

const exportRoute = createRoute({
  method: "get",
  path: "/ledger/export",
  tags,
  summary: "Export this tenant's whole provenance ledger for offline verification (npm run verify:ledger)",
  security: bearerAuth,
  middleware: admin,
  responses: { 200: json(LedgerExport, "The ledger"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const verifyRoute = createRoute({
  method: "get",
  path: "/ledger/verify",
  tags,
  summary: "Check this tenant's chain server-side against the ledger object's head and checkpoints, and the published (D1) checkpoints against the object's",
  security: bearerAuth,
  middleware: admin,
  responses: { 200: json(LedgerVerification, "Verification report"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const checkpointRoute = createRoute({
  method: "post",
  path: "/ledger/checkpoints",
  tags,
  summary: "Publish a checkpoint now (head hash + Merkle root of the entries since the last one)",
  security: bearerAuth,
  middleware: admin,
  responses: {
    200: json(z.object({ checkpoint: LedgerCheckpoint.nullable() }), "The new checkpoint, or null when nothing was appended since the last"),
    401: errors[401],
    403: errors[403],
    409: json(ErrorBody, "ledger_mismatch: the D1 rows since the last checkpoint disagree with the ledger object (tampered); nothing published"),
    429: errors[429],
  },
});

const publicCheckpoints = createRoute({
  method: "get",
  path: "/brands/{slug}/ledger/checkpoints",
  tags,
  summary: "A brand's published ledger checkpoints (public)",
  request: { params: z.object({ slug: z.string().min(1).max(40) }) },
  responses: { 200: json(z.object({ checkpoints: z.array(LedgerCheckpoint) }), "Checkpoints"), 404: errors[404], 429: errors[429] },
});

const provenance = createRoute({
  method: "get",
  path: "/provenance/{code}",
  tags,
  summary: "Public provenance of a voucher by its public code: brand, batch, channel, times, status and proofs; never its secret",
  request: { params: z.object({ code: z.string().min(4).max(64).regex(/^[A-Za-z0-9_-]+$/) }) },
  responses: { 200: json(VoucherProvenance, "Provenance"), 400: errors[400], 404: errors[404], 429: errors[429] },
});

export const ledgerRoutes = createRouter()
  .openapi(exportRoute, async (c) => c.json(await exportLedger(c.env, c.var.principal.tenantId), 200))
  .openapi(verifyRoute, async (c) => c.json(await verifyLedger(c.env, c.var.principal.tenantId), 200))
  .openapi(checkpointRoute, async (c) => c.json({ checkpoint: await checkpointLedger(c.env, c.var.principal.tenantId) }, 200))
  .openapi(publicCheckpoints, async (c) => {
    await enforceRateLimit(c.env, "public-ledger", clientIpKey(c), 120, 60);
    return c.json(await publishedCheckpoints(c.env, c.req.valid("param").slug), 200);
  })
  .openapi(provenance, async (c) => {
    // Codes are unguessable; the limit keeps anyone from trying many.
    await enforceRateLimit(c.env, "provenance", clientIpKey(c), 60, 60);
    const p = await voucherProvenance(c.env, c.req.valid("param").code);
    if (!p) throw ApiError.notFound("Voucher");
    return c.json(p, 200);
  });
