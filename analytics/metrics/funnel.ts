import { FUNNEL_STEPS, FunnelParams, FunnelRow } from "../../schema/analytics";
import { compactSource } from "../funnel-compact";
import { FROM, TENANT, TO, attributed, attributionParams, ratio, select, type Metric } from "./metric";
import { selectBySlices, slicedSql } from "./person-slices";

/**
 * A view is a page or product view, or the widget seen on a brand's page (widget_impression).
 * Per person, windowFunnel finds the longest ordered chain view → claim/draw → order → paid → redeemed inside the
 * window starting at a view. With a campaign, the view and the claim/draw must belong to it; later steps need not
 * carry the campaign (orders and redemptions often don't).
 * Per campaign the later steps are the campaign's own (campaignSteps below): its orders — a flash-sale win's (campaign
 * price), or an order that applied a coupon the campaign issued — their payment, and last `used`: a voucher the
 * campaign issued redeemed at a store or applied on a paid order (a claimed coupon is mostly used as an order discount,
 * never redeemed at a store). They are read from `events`, which knows the orders and vouchers; funnel_people does not.
 * Read from funnel_people (schema/clickhouse/0015), one row per step. A device's steps before its visitor signed up
 * count for the user who signed up on it (a device nobody signed up on counts as a visitor of its own, so a view that
 * led nowhere still lowers view → claim): the links (device → user) of devices with steps in the span are read once
 * into a scalar and each device row is mapped with transform(); one hash aggregation then groups every row by person.
 * Measured at 10M events against the earlier in-order aggregation with a NOT IN and a joined second pass: about 10%
 * faster (bench/README.md, session 30); in-order aggregation lost to the hash table here because each person's rows
 * sit in several monthly parts whose partial states must be merged.
 * Closed days come from the compacted build when it is current for the tenant (analytics/funnel-compact.ts,
 * schema/clickhouse/0016): the same levels from fewer rows; funnel_people supplies the rest from the cut on.
 * A tenant with many people is read in slices of the person keys (person-slices.ts).
 */
const IN_SPAN = `tenant_id = {tenant:String} AND occurred_at >= ${FROM} AND occurred_at < ${TO}`;
const CAMPAIGN = "({campaign:String} = '' OR campaign_id = {campaign:String})";
const VIEW = `step = 1 AND ${CAMPAIGN}`;
// windowFunnel sees every row but the views of a person with only views in the build and too early to reach a step
// from the cut on: those show only that the person viewed, which maxIf counts.
const LEVEL = `greatest(windowFunnelIf({window:UInt64})(occurred_at, ${VIEW}, step = 2 AND ${CAMPAIGN}, step = 3, step = 4, step = 5, feed), maxIf(toUInt8(1), ${VIEW}))`;
// Per campaign, funnel_people gives only the campaign's views and claims/draws; the rest comes from campaignSteps.
const ITS_VIEW_OR_CLAIM = "step IN (1, 2) AND campaign_id = {campaign:String}";
const ITS_VOUCHERS = `SELECT voucher_id FROM events WHERE ${TENANT} AND type = 'voucher_issued' AND campaign_id = {campaign:String}`;
/** Orders that applied one of the campaign's coupons (any time: an order made before the span may be paid in it). */
const COUPON_ORDERS = `SELECT order_id FROM events WHERE ${TENANT} AND type = 'coupon_applied' AND order_id != '' AND voucher_id IN (${ITS_VOUCHERS})`;
/** Redemptions a store undid (撤销核销): not a use of the campaign's voucher. */
const UNDONE = `SELECT JSONExtractString(payload, 'redemptionId') FROM events WHERE ${TENANT} AND type = 'voucher_redemption_reversed'`;
/**
 * Overall, the step rows (person, second) of the span's store redemptions that a store undid: funnel_people does not
 * know of a reversal, so those rows are left out here. Only the redemptions of vouchers with a reversal have their
 * payload read (the redemptions of all others are passed over by voucher id; the whole funnel took +35% at 1M events
 * while every redemption's payload was read).
 */
const UNDONE_STEPS = `SELECT cityHash64(user_id), toDateTime(occurred_at) FROM events
  WHERE ${IN_SPAN} AND type = 'voucher_redeemed' AND user_id != ''
    AND voucher_id IN (SELECT voucher_id FROM events WHERE ${TENANT} AND type = 'voucher_redemption_reversed')
    AND JSONExtractString(payload, 'redemptionId') IN (${UNDONE})`;
/**
 * The campaign's steps 3–5 in the span, one row per step: its orders' order_created (3) and order_paid (4), and (5) its
 * vouchers' store redemptions and the payment of an order that applied its coupon (that row is both 4 and 5: windowFunnel
 * takes steps of one instant in step order). A buyer's rows are keyed as funnel_people keys a user (cityHash64).
 */
const campaignSteps = (inSlice: (key: string) => string) => `
    SELECT cityHash64(user_id) AS who, toDateTime(at) AS occurred_at, step, {campaign:String} AS campaign_id, true AS feed
    FROM (
      SELECT user_id, occurred_at AS at, arrayJoin(multiIf(
               type = 'order_created', [3], type = 'voucher_redeemed', [5], order_id IN coupon_orders, [4, 5], [4])) AS step
      FROM events
      WHERE ${IN_SPAN} AND user_id != '' AND ${inSlice("cityHash64(user_id)")}
        AND ((type IN ('order_created', 'order_paid') AND (campaign_id = {campaign:String} OR order_id IN coupon_orders))
             OR (type = 'voucher_redeemed' AND campaign_id = {campaign:String}
                 AND JSONExtractString(payload, 'redemptionId') NOT IN (${UNDONE}))))`;
// Devices with steps in the span, and the user who signed up on each (any sign-up, not only in the span).
const LINKS = `(SELECT (groupArray(device_key), groupArray(user_key)) FROM (
  SELECT person_key AS device_key, min(link_key) AS user_key FROM funnel_people
  WHERE ${TENANT} AND step = 0 AND person_key IN (SELECT person_key FROM funnel_people WHERE ${IN_SPAN} AND is_device = 1 AND step != 0)
  GROUP BY person_key))`;
// A device nobody signed up on is a visitor of its own: it counts at the steps it reached (a view, mostly).
const WHO = "transform(person_key, links.1, links.2, person_key)";
// The build's rows before the cut; most are users' (devices that had signed up are stored under the user), which
// need no lookup (the lookup on every row cost ~15% of the query at 10M events).
const BUILT = `occurred_at >= ${FROM} AND occurred_at < toDateTime({cut:UInt32}, 'UTC')`;
const FEED = "views_only = 0 OR toUnixTimestamp(occurred_at) + {window:UInt64} >= {cut:UInt32}";
// In a slice, users' rows are read by the slice's range of person keys (both tables are sorted by person), and device
// rows are mapped first and kept when their user is in the slice; the whole form reads funnel_people from the cut once.
const FROM_CUT = `${IN_SPAN} AND step != 0 AND occurred_at >= toDateTime({cut:UInt32}, 'UTC')`;
const RECENT = (inSlice: (key: string) => string, sliced: boolean, only: string) =>
  sliced
    ? `SELECT person_key AS who, occurred_at, step, campaign_id, true AS feed FROM funnel_people
    WHERE ${FROM_CUT}${only} AND is_device = 0 AND ${inSlice("person_key")}
    UNION ALL
    SELECT ${WHO} AS who, occurred_at, step, campaign_id, true AS feed FROM funnel_people
    WHERE ${FROM_CUT}${only} AND is_device = 1 AND ${inSlice(WHO)}`
    : `SELECT if(is_device = 1, ${WHO}, person_key) AS who, occurred_at, step, campaign_id, true AS feed FROM funnel_people
    WHERE ${FROM_CUT}${only}`;
/** undone: the tenant has reversals whose redemption steps to leave out (overall only; UNDONE_STEPS). */
const funnelSql = (perCampaign: boolean, undone = false) => slicedSql((inSlice, sliced) => {
  const only = perCampaign ? ` AND ${ITS_VIEW_OR_CLAIM}` : "";
  return `
WITH ${LINKS} AS links${perCampaign ? `, coupon_orders AS (${COUPON_ORDERS})` : ""}${undone ? `, undone_steps AS (${UNDONE_STEPS})` : ""}
SELECT ${FUNNEL_STEPS.map((_, i) => `countIf(level >= ${i + 1}) AS s${i + 1}`).join(", ")}
FROM (
  SELECT who, ${LEVEL} AS level
  FROM (
    SELECT ${WHO} AS who, occurred_at, step, campaign_id,
           ${FEED} AS feed
    FROM funnel_compact
    WHERE build = {build:UInt64} AND tenant_id = {tenant:String} AND is_device = 1 AND ${BUILT}${only} AND ${inSlice(WHO)}
    UNION ALL
    SELECT person_key AS who, occurred_at, step, campaign_id,
           ${FEED} AS feed
    FROM funnel_compact
    WHERE build = {build:UInt64} AND tenant_id = {tenant:String} AND is_device = 0 AND ${BUILT}${only} AND ${inSlice("person_key")}
    UNION ALL
    ${RECENT(inSlice, sliced, only)}${perCampaign ? `
    UNION ALL${campaignSteps(inSlice)}` : ""}
  )${undone ? `
  WHERE step != 5 OR (who, occurred_at) NOT IN undone_steps` : ""}
  GROUP BY who
  HAVING who != 0
)
WHERE ${attributed("who", "cityHash64(user_id)")}`;
});
const SQL = funnelSql(false);
const SQL_UNDONE = funnelSql(false, true);
const CAMPAIGN_SQL = funnelSql(true);
/** Whether the tenant ever undid a redemption: the type leads events' sort key, so this reads next to nothing. */
const HAS_UNDONE = `SELECT count() > 0 AS any FROM events WHERE ${TENANT} AND type = 'voucher_redemption_reversed'`;

export const funnel: Metric<typeof FunnelParams, typeof FunnelRow> = {
  params: FunnelParams,
  row: FunnelRow,
  async run(client, tenant, p) {
    const source = await compactSource(client, tenant, new Date(p.to));
    const undone = !p.campaignId && !!(await select<{ any: number }>(client, HAS_UNDONE, { tenant }))[0]?.any;
    const slices = await selectBySlices<Record<string, number>>(client, p.campaignId ? CAMPAIGN_SQL : undone ? SQL_UNDONE : SQL, {
      ...source, tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "", window: p.windowHours * 3600, ...attributionParams(p),
    });
    // Each person is in one slice: the counts add up.
    const users = FUNNEL_STEPS.map((_, i) => slices.reduce((n, [r]) => n + (r?.[`s${i + 1}`] ?? 0), 0));
    return FUNNEL_STEPS.map((step, i) => ({
      step: p.campaignId && step === "redeemed" ? ("used" as const) : step,
      users: users[i]!,
      fromPrevious: i === 0 ? ratio(users[0]!, users[0]!) : ratio(users[i]!, users[i - 1]!),
      fromFirst: ratio(users[i]!, users[0]!),
    }));
  },
};
