import { GROWTH_MECHANISMS, GrowthParams, GrowthRow } from "../../schema/analytics";
import { distinct, FROM, IN_RANGE, ratio, selectParts, TENANT, TO, type Metric } from "./metric";

/**
 * Social growth per share mechanism (issue 18). A share link's mechanism is on its share_sent (payload.mechanism;
 * before issue 18 every share was a campaign's); an invitee belongs to the mechanism of the share link their
 * user_signed_up / referral_signed_up names (payload.shareLink = share_sent.payload.shareLink). Shares may be older
 * than the range, so the share side is read up to `to` without a lower bound.
 */
const MECHANISM = "if(JSONExtractString(payload, 'mechanism') = '', 'campaign', JSONExtractString(payload, 'mechanism'))";
const SHARES_BY_CODE = `
  SELECT JSONExtractString(payload, 'shareLink') AS code, any(${MECHANISM}) AS mechanism, min(occurred_at) AS shared_at
  FROM events WHERE ${TENANT} AND type = 'share_sent' AND occurred_at < ${TO} GROUP BY code`;

const SHARES = `
SELECT ${MECHANISM} AS mechanism, ${distinct("user_id")} AS sharers, count() AS shares
FROM events WHERE ${TENANT} AND type = 'share_sent' AND ${IN_RANGE} GROUP BY mechanism`;

/** Invitees and the viral cycle: share_sent → the invitee's sign-up (referral_signed_up is recorded with it). */
const INVITEES = `
SELECT s.mechanism AS mechanism, uniqExact(r.invitee) AS inviteeSignups,
       quantileExactInclusive(0.5)(dateDiff('second', s.shared_at, r.at) / 60) AS cycleMedianMinutes
FROM (
  SELECT JSONExtractString(payload, 'shareLink') AS code, cityHash64(user_id) AS invitee, min(occurred_at) AS at
  FROM events WHERE ${TENANT} AND type = 'referral_signed_up' AND ${IN_RANGE} AND referrer_id != '' AND user_id != ''
  GROUP BY code, invitee
) AS r INNER JOIN (${SHARES_BY_CODE}) AS s ON r.code = s.code
GROUP BY mechanism`;

/** Teams opened in the range and what became of them (their completion or failure may come after `to`). */
const TEAMS = `
SELECT count() AS opened, countIf(done) AS completed, countIf(failed) AS failed FROM (
  SELECT JSONExtractString(payload, 'teamId') AS team,
         max(type = 'group_team_opened' AND ${IN_RANGE}) AS opened_in_range,
         max(type = 'group_team_completed') AS done, max(type = 'group_team_failed') AS failed
  FROM events WHERE ${TENANT} AND type IN ('group_team_opened', 'group_team_completed', 'group_team_failed') AND occurred_at >= ${FROM}
  GROUP BY team HAVING opened_in_range
)`;

/** Assist helps and goals, and the rewards each mechanism paid in the range (an invite reward reversed costs nothing). */
const REWARDS = `
SELECT countIf(type = 'assist_helped') AS helps, countIf(type = 'assist_goal_reached') AS goals,
       sumIf(cost_cents, type = 'group_team_completed') AS groupCost, sumIf(cost_cents, type = 'assist_goal_reached') AS assistCost
FROM events WHERE ${TENANT} AND ${IN_RANGE} AND type IN ('assist_helped', 'assist_goal_reached', 'group_team_completed')`;
const INVITE_COST = `
SELECT sum(if(reversed, 0, cost)) AS inviteCost FROM (
  SELECT JSONExtractString(payload, 'inviteId') AS invite, JSONExtractString(payload, 'role') AS role,
         sumIf(cost_cents, type = 'invite_rewarded' AND ${IN_RANGE}) AS cost, max(type = 'invite_reward_reversed') AS reversed
  FROM events WHERE ${TENANT} AND type IN ('invite_rewarded', 'invite_reward_reversed') AND occurred_at >= ${FROM}
  GROUP BY invite, role
)`;

/**
 * Users who signed up in the range: net paid revenue within `days`, grouped by the mechanism that brought them (or
 * organic). Sign-ups and payments are grouped apart by the user's hash and joined: one grouping of every sign-up by a
 * String id carrying each user's payment array cost ~10% more at 10M events (bench/README.md, session 30). Only
 * referred users need their share link's mechanism: those few are looked up once into a scalar and mapped with
 * transform(), instead of carrying every user's link through a join with the shares (~15% less, session 31).
 */
const SIGNED_UP = `FROM events WHERE ${TENANT} AND type = 'user_signed_up' AND user_id != '' AND ${IN_RANGE}`;
const REFERRED_MECHANISMS = `(SELECT (groupArray(r.uk), groupArray(if(s.mechanism = '', 'campaign', s.mechanism))) FROM (
  SELECT cityHash64(user_id) AS uk, JSONExtractString(any(payload), 'shareLink') AS code ${SIGNED_UP} AND referrer_id != '' GROUP BY uk
) AS r LEFT JOIN (${SHARES_BY_CODE}) AS s ON r.code = s.code)`;
const LTV = `
WITH ${REFERRED_MECHANISMS} AS referred_by
SELECT if(u.referred, transform(u.uk, referred_by.1, referred_by.2, 'campaign'), 'organic') AS grp, count() AS users,
       sum(arraySum(arrayMap(x -> if(x.1 >= u.c_at AND x.1 < u.c_at + toIntervalDay({days:UInt32}), x.2, 0), o.revs))) AS revenue
FROM (SELECT cityHash64(user_id) AS uk, min(occurred_at) AS c_at, max(referrer_id != '') AS referred ${SIGNED_UP} GROUP BY uk) AS u
LEFT JOIN (
  SELECT cityHash64(user_id) AS uk, groupArray((occurred_at, if(type = 'order_paid', amount_cents, -amount_cents))) AS revs
  FROM events
  WHERE ${TENANT} AND type IN ('order_paid', 'order_refunded') AND user_id != ''
    AND occurred_at >= ${FROM} AND occurred_at < ${TO} + toIntervalDay({days:UInt32})
  GROUP BY uk
) AS o ON o.uk = u.uk
GROUP BY grp`;

type Mech = (typeof GROWTH_MECHANISMS)[number];
const byKey = <T extends { key: string }>(rows: T[]) => new Map(rows.map((r) => [r.key, r]));

export const growth: Metric<typeof GrowthParams, typeof GrowthRow> = {
  params: GrowthParams,
  row: GrowthRow,
  async run(client, tenant, p) {
    const q = { tenant, from: p.from, to: p.to, days: p.days };
    const r = await selectParts(client, {
      shares: { sql: SHARES, key: "mechanism", cols: ["sharers", "shares"] },
      invitees: { sql: INVITEES, key: "mechanism", cols: ["inviteeSignups", "cycleMedianMinutes"] },
      teams: { sql: TEAMS, cols: ["opened", "completed", "failed"] },
      rewards: { sql: REWARDS, cols: ["helps", "goals", "groupCost", "assistCost"] },
      invites: { sql: INVITE_COST, cols: ["inviteCost"] },
      ltv: { sql: LTV, key: "grp", cols: ["users", "revenue"] },
    }, q);
    const s = byKey(r.shares);
    const inv = byKey(r.invitees);
    const teams = r.teams[0]!;
    const rewards = r.rewards[0]!;
    const lt = byKey(r.ltv);
    const organic = lt.get("organic");
    const cost: Record<Mech, number | null> = {
      campaign: null, product: null, group: rewards.groupCost, assist: rewards.assistCost, invite: r.invites[0]?.inviteCost ?? 0,
    };
    return GROWTH_MECHANISMS.map((mechanism) => {
      const sharers = s.get(mechanism)?.sharers ?? 0;
      const inviteeSignups = inv.get(mechanism)?.inviteeSignups ?? 0;
      const l = lt.get(mechanism);
      const attributedRevenueCents = l?.revenue ?? 0;
      const group = mechanism === "group";
      const assist = mechanism === "assist";
      const rewardCostCents = cost[mechanism];
      return {
        mechanism,
        sharers,
        shares: s.get(mechanism)?.shares ?? 0,
        inviteeSignups,
        kFactor: ratio(inviteeSignups, sharers),
        cycleMedianMinutes: inv.get(mechanism)?.cycleMedianMinutes ?? null,
        teamsOpened: group ? teams.opened : 0,
        teamsCompleted: group ? teams.completed : 0,
        teamsFailed: group ? teams.failed : 0,
        teamSuccessRate: group ? ratio(teams.completed, teams.opened) : null,
        teamFailRate: group ? ratio(teams.failed, teams.opened) : null,
        assistHelps: assist ? rewards.helps : 0,
        goalsReached: assist ? rewards.goals : 0,
        assistsPerGoal: assist ? ratio(rewards.helps, rewards.goals) : null,
        inviteeLtvCents: l ? ratio(l.revenue, l.users) : null,
        organicLtvCents: organic ? ratio(organic.revenue, organic.users) : null,
        rewardCostCents,
        attributedRevenueCents,
        revenuePerCostCent: rewardCostCents === null ? null : ratio(attributedRevenueCents, rewardCostCents),
      };
    });
  },
};
