import { memberByBuyer, type MemberRow } from "../db/members";
import { ApiError } from "../errors";

/** The signed-in buyer's membership of this brand; 403 not_a_member until they join (POST /shop/member/join). */
export async function requireMember(env: Pick<Env, "DB">, tenantId: string, buyerId: string): Promise<MemberRow> {
  const member = await memberByBuyer(env.DB, tenantId, buyerId);
  if (!member) throw new ApiError(403, "not_a_member", "Join the brand's membership first (POST /shop/member/join)");
  return member;
}
