/**
 * Platform admin CLI, a client of the running API (local by default, or --url for a deployed one).
 *   npm run admin -- tenant create --slug acme --name "Acme" [--origin https://acme.example]...
 *   npm run admin -- tenant list
 *   npm run admin -- key create --tenant <id|slug> --name pos --scopes redeemer[,analyst]
 *   npm run admin -- events replay      (re-send dead letters now; the minute cron re-drives them anyway)
 *   npm run admin -- events resend      (re-send in-flight event messages now; the cron does a minute on anyway)
 * The platform token comes from PLATFORM_ADMIN_TOKEN, or .dev.vars locally.
 */
import { SCOPES, type Scope } from "../schema/tenancy";
import { loadDevVars } from "./lib/dev-vars";
import { kaquanClient, must } from "./lib/api/client";
import { cliArgs, DEFAULT_URL, describeFailure } from "./lib/cli";

const usage = `usage:
  npm run admin -- tenant create --slug <slug> --name <name> [--origin <origin>]...
  npm run admin -- tenant list
  npm run admin -- key create --tenant <id|slug> --name <name> --scopes <${SCOPES.join("|")}>[,...]
  npm run admin -- events replay
  npm run admin -- events resend
options: --url <api base> (default: KAQUAN_URL, else http://127.0.0.1:<KAQUAN_PORT or 8787>)  --json`;

const { positionals, values } = cliArgs({
  allowPositionals: true,
  options: {
    url: { type: "string", default: DEFAULT_URL },
    slug: { type: "string" },
    name: { type: "string" },
    origin: { type: "string", multiple: true },
    tenant: { type: "string" },
    scopes: { type: "string" },
    json: { type: "boolean", default: false },
  },
}, usage);

const token = process.env.PLATFORM_ADMIN_TOKEN ?? loadDevVars().PLATFORM_ADMIN_TOKEN;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

if (!token) fail("No platform token: set PLATFORM_ADMIN_TOKEN or run `npm start` once to create .dev.vars");
const api = kaquanClient(values.url!, token);
const out = (data: unknown, text: string) => console.log(values.json ? JSON.stringify(data, null, 2) : text);

const [noun, verb] = positionals;
try {
  if (noun === "tenant" && verb === "create") {
    if (!values.slug || !values.name) fail(usage);
    const t = await must(api.POST("/platform/tenants", { body: { slug: values.slug, name: values.name, allowedOrigins: values.origin ?? [] } }));
    out(t, `created tenant ${t.id} (${t.slug})`);
  } else if (noun === "tenant" && verb === "list") {
    const { tenants } = await must(api.GET("/platform/tenants"));
    out(tenants, tenants.map((t) => `${t.id}  ${t.slug.padEnd(20)} ${t.name}`).join("\n"));
  } else if (noun === "key" && verb === "create") {
    if (!values.tenant || !values.name || !values.scopes) fail(usage);
    const scopes = [...new Set(values.scopes.split(",").map((s) => s.trim()))] as Scope[];
    const k = await must(api.POST("/platform/tenants/{tenantId}/keys", { params: { path: { tenantId: values.tenant } }, body: { name: values.name, scopes } }));
    out(k, `created key ${k.id} [${k.scopes.join(",")}] for ${k.tenantId}\n\n  ${k.secret}\n\nStore it now: it is not shown again.`);
  } else if (noun === "events" && verb === "replay") {
    const r = await must(api.POST("/platform/events/dead-letters/replay"));
    out(r, `replayed ${r.replayed} dead-lettered events; ${r.remaining} remain (${r.invalid} failing their event contract: GET /api/v1/events/dead-letters names the field)`);
  } else if (noun === "events" && verb === "resend") {
    const r = await must(api.POST("/platform/events/in-flight/resend"));
    out(r, `sent ${r.resent} in-flight event messages again; ${r.remaining} still unconfirmed`);
  } else {
    fail(usage);
  }
} catch (e) {
  fail(describeFailure(e, values.url!));
}
