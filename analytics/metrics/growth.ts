import { GROWTH_MECHANISMS, GrowthParams, GrowthRow } from "../../schema/analytics";
import { distinct, FROM, IN_RANGE, ratio, selectParts, TENANT, TO, type Metric } from "./metric";
import { addUpSlices, selectBySlices, slicedSql, slicesFor } from "./person-slices";

/**
 * Social growth per share mechanism (issue 18). A share link's mechanism is on its share_sent (payload.mechanism;
 * before issue 18 every share was a campaign's); an invitee belongs to the mechanism of the share link their
 * user_signed_up / referral_signed_up names (payload.shareLink = share_sent.payload.shareLink). Shares may be older
 * than the range, so the share side is read up to `to` without a lower bound.
 * An invite a friend accepts (invite_accepted) is an invite whichever link it came through: the member centre shows
 * the plain ?invite= link, which records no share_sent and, for a friend who already had a session, no referral
 * sign-up. So the invite row also counts each accepted invite's friend as an invitee and its inviter as a sharer.
 */
const MECHANISM = "if(JSONExtractString(payload, 'mechanism') = '', 'campaign', JSONExtractString(payload, 'mechanism'))";
const SHARES_BY_CODE = `
  SELECT JSONExtractString(payload, 'shareLink') AS code, any(${MECHANISM}) AS mechanism, min(occurred_at) AS shared_at
  FROM events WHERE ${TENANT} AND type = 'share_sent' AND occurred_at < ${TO} GROUP BY code`;

const ACCEPTED = "type = 'invite_accepted'";
/** The friends of invites accepted in the range (each event names the friend and, as referrer, the inviter). */
const ACCEPTED_FRIENDS = `FROM events WHERE ${TENANT} AND ${ACCEPTED} AND ${IN_RANGE} AND referrer_id != '' AND user_id != ''`;
const SHARES = `
SELECT if(${ACCEPTED}, 'invite', ${MECHANISM}) AS mechanism, ${distinct(`if(${ACCEPTED}, referrer_id, user_id)`)} AS sharers,
       countIf(type = 'share_sent') AS shares
FROM events WHERE ${TENANT} AND ${IN_RANGE} AND (type = 'share_sent' OR (${ACCEPTED} AND referrer_id != ''))
GROUP BY mechanism`;

/**
 * Invitees and the viral cycle: share_sent → the invitee's sign-up (referral_signed_up is recorded with it); and
 * the friends of invites accepted in the range, each counted once (the cycle is known only through a share link).
 */
const INVITEES = `
SELECT mechanism, uniqExact(invitee) AS inviteeSignups, quantileExactInclusive(0.5)(minutes) AS cycleMedianMinutes, count(minutes) AS cycles
FROM (
  SELECT s.mechanism AS mechanism, r.invitee AS invitee, toNullable(dateDiff('second', s.shared_at, r.at) / 60) AS minutes
  FROM (
    SELECT JSONExtractString(payload, 'shareLink') AS code, cityHash64(user_id) AS invitee, min(occurred_at) AS at
    FROM events WHERE ${TENANT} AND type = 'referral_signed_up' AND ${IN_RANGE} AND referrer_id != '' AND user_id != ''
    GROUP BY code, invitee
  ) AS r INNER JOIN (${SHARES_BY_CODE}) AS s ON r.code = s.code
  UNION ALL
  SELECT 'invite', cityHash64(user_id), CAST(NULL AS Nullable(Float64))
  ${ACCEPTED_FRIENDS}
)
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
 * organic). Read from ltv_people (schema/clickhouse/0017, sorted by person): each person's first sign-up in the range
 * and their payments in one grouping, in slices of the person keys for a tenant with many people (person-slices.ts).
 * Against sign-ups and payments grouped apart from `events` and joined, the whole growth query: 555 → 502 ms at 10M
 * events, 6,563 → 4,204 ms at 100M (bench/README.md, session 38). Only referred users need their share link's mechanism:
 * those few are looked up once into a scalar and mapped with transform(); everyone else is organic. A friend of an
 * invite accepted in the range is an invitee too (their share link's mechanism first, when one brought them).
 */
const SIGNED_UP = `FROM events WHERE ${TENANT} AND type = 'user_signed_up' AND user_id != '' AND ${IN_RANGE}`;
const REFERRED_MECHANISMS = `(SELECT (groupArray(uk), groupArray(mech)) FROM (SELECT uk, argMin(mech, by_link) AS mech FROM (
  SELECT r.uk AS uk, if(s.mechanism = '', 'campaign', s.mechanism) AS mech, 0 AS by_link FROM (
    SELECT cityHash64(user_id) AS uk, JSONExtractString(any(payload), 'shareLink') AS code ${SIGNED_UP} AND referrer_id != '' GROUP BY uk
  ) AS r LEFT JOIN (${SHARES_BY_CODE}) AS s ON r.code = s.code
  UNION ALL
  SELECT cityHash64(user_id), 'invite', 1 ${ACCEPTED_FRIENDS}
) GROUP BY uk))`;
const LTV = slicedSql((inSlice) => `
WITH ${REFERRED_MECHANISMS} AS referred_by
SELECT transform(user_key, referred_by.1, referred_by.2, 'organic') AS grp, count() AS users,
       sum(arraySum(arrayMap(x -> if(x.1 >= c_at AND x.1 < c_at + toIntervalDay({days:UInt32}), x.2, 0), revs))) AS revenue
FROM (
  SELECT user_key, minIf(occurred_at, kind = 0 AND occurred_at < ${TO}) AS c_at, groupArrayIf((occurred_at, amount_cents), kind != 0) AS revs
  FROM ltv_people
  WHERE ${TENANT} AND occurred_at >= ${FROM} AND occurred_at < ${TO} + toIntervalDay({days:UInt32}) AND ${inSlice("user_key")}
  GROUP BY user_key
  HAVING c_at >= ${FROM}
)
GROUP BY grp`);
const LTV_COLS = ["users", "revenue"] as const;
type LtvRow = { grp: string; users: number; revenue: number };

type Mech = (typeof GROWTH_MECHANISMS)[number];
const byKey = <T extends { key: string }>(rows: T[]) => new Map(rows.map((r) => [r.key, r]));

export const growth: Metric<typeof GrowthParams, typeof GrowthRow> = {
  params: GrowthParams,
  row: GrowthRow,
  async run(client, tenant, p) {
    const q = { tenant, from: p.from, to: p.to, days: p.days };
    const parts = {
      shares: { sql: SHARES, key: "mechanism", cols: ["sharers", "shares"] },
      invitees: { sql: INVITEES, key: "mechanism", cols: ["inviteeSignups", "cycleMedianMinutes", "cycles"] },
      teams: { sql: TEAMS, cols: ["opened", "completed", "failed"] },
      rewards: { sql: REWARDS, cols: ["helps", "goals", "groupCost", "assistCost"] },
      invites: { sql: INVITE_COST, cols: ["inviteCost"] },
    } as const;
    // One pass: the LTV part rides in the same statement; a tenant read in slices runs it slice by slice after.
    const onePass = (await slicesFor(client, tenant)).length === 0;
    const r = onePass
      ? await selectParts(client, { ...parts, ltv: { sql: LTV.whole, key: "grp", cols: LTV_COLS } }, q)
      : { ...(await selectParts(client, parts, q)), ltv: addUpSlices(await selectBySlices<LtvRow>(client, LTV, q), "grp", LTV_COLS).map(({ grp, ...r }) => ({ key: grp, ...r })) };
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
        // The parts' columns come back as numbers: a median of no shared link (plain invites only) would read 0.
        cycleMedianMinutes: inv.get(mechanism)?.cycles ? inv.get(mechanism)!.cycleMedianMinutes : null,
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
