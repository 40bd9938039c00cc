import { FUNNEL_STEPS, FunnelParams, FunnelRow } from "../../schema/analytics";
import { FROM, TENANT, TO, attributed, attributionParams, ratio, select, type Metric } from "./metric";

/**
 * A view is a page or product view, or the widget seen on a brand's page (widget_impression).
 * Per person, windowFunnel finds the longest ordered chain view → claim/draw → order → paid → redeemed inside the
 * window starting at a view. With a campaign, the view and the claim/draw must belong to it; later steps need not
 * carry the campaign (orders and redemptions often don't).
 * Read from funnel_people (schema/clickhouse/0015), sorted by person: people with no anonymous steps (almost all)
 * are aggregated in sort order; the few whose device had steps before they signed up are joined and grouped apart.
 */
const IN_SPAN = `tenant_id = {tenant:String} AND occurred_at >= ${FROM} AND occurred_at < ${TO}`;
const CAMPAIGN = "({campaign:String} = '' OR campaign_id = {campaign:String})";
const LEVEL = `windowFunnel({window:UInt64})(occurred_at, step = 1 AND ${CAMPAIGN}, step = 2 AND ${CAMPAIGN}, step = 3, step = 4, step = 5)`;
// Devices with steps in the span, and the user who signed up on each (any sign-up, as before: not only in the span).
const LINKED = `(SELECT person_key AS device_key, any(link_key) AS user_key FROM funnel_people
  WHERE ${TENANT} AND step = 0 AND person_key IN (SELECT person_key FROM funnel_people WHERE ${IN_SPAN} AND is_device = 1 AND step != 0)
  GROUP BY person_key)`;
const SQL = `
SELECT ${FUNNEL_STEPS.map((_, i) => `countIf(level >= ${i + 1}) AS s${i + 1}`).join(", ")}
FROM (
  SELECT person_key AS who, ${LEVEL} AS level
  FROM funnel_people
  WHERE ${IN_SPAN} AND is_device = 0 AND step != 0 AND person_key NOT IN (SELECT user_key FROM ${LINKED})
  GROUP BY person_key
  UNION ALL
  SELECT who, ${LEVEL} AS level
  FROM (
    SELECT if(f.is_device = 1, l.user_key, f.person_key) AS who, f.occurred_at AS occurred_at, f.step AS step, f.campaign_id AS campaign_id
    FROM funnel_people AS f
    LEFT ANY JOIN ${LINKED} AS l ON l.device_key = f.person_key
    WHERE f.tenant_id = {tenant:String} AND f.occurred_at >= ${FROM} AND f.occurred_at < ${TO} AND f.step != 0
      AND ((f.is_device = 1 AND f.person_key IN (SELECT device_key FROM ${LINKED}))
        OR (f.is_device = 0 AND f.person_key IN (SELECT user_key FROM ${LINKED})))
  )
  WHERE who != 0
  GROUP BY who
)
WHERE ${attributed("who", "cityHash64(user_id)")}
SETTINGS optimize_aggregation_in_order = 1`;

export const funnel: Metric<typeof FunnelParams, typeof FunnelRow> = {
  params: FunnelParams,
  row: FunnelRow,
  async run(client, tenant, p) {
    const [r] = await select<Record<string, number>>(client, SQL, {
      tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "", window: p.windowHours * 3600, ...attributionParams(p),
    });
    const users = FUNNEL_STEPS.map((_, i) => r?.[`s${i + 1}`] ?? 0);
    return FUNNEL_STEPS.map((step, i) => ({
      step,
      users: users[i]!,
      fromPrevious: i === 0 ? ratio(users[0]!, users[0]!) : ratio(users[i]!, users[i - 1]!),
      fromFirst: ratio(users[i]!, users[0]!),
    }));
  },
};
