/** What a member task's card says (会员积分页 做任务赚积分), from GET /shop/{store}/member/tasks. */
interface TaskState {
  completions: number;
  /** Completions whose reward a refund took back (a subset of completions). */
  reversed: number;
  available: boolean;
}

type Words = [zh: string, en: string];

/**
 * The button's word and, when a refund took back only some completions, a note under the reward saying how many (the
 * card read 已完成 as if every reward stood). Every completion taken back is not a task done (已收回). A repeatable task
 * counts its completions (a one-off has one). The note keeps the button short, so the task's name is not squeezed beside it.
 */
export function taskWords(task: TaskState): { button: Words; note: Words | null } {
  const { completions: n, reversed: back } = task;
  const partly = back > 0 && back < n;
  // Beside 领取奖励 the note counts the completions too; beside 已完成 N 次 it need not.
  const note: Words | null = !partly ? null
    : task.available ? [`已完成 ${n} 次，其中 ${back} 次因退款已收回`, `Done ${n} times, ${back} taken back by a refund`]
    : [`其中 ${back} 次因退款已收回`, `${back} of them taken back by a refund`];
  if (task.available) return { button: ["领取奖励", "Claim"], note };
  if (!n) return { button: ["未完成", "Not yet"], note };
  if (back >= n) return { button: n > 1 ? [`已收回 ${n} 次`, `Taken back ×${n}`] : ["已收回", "Taken back"], note };
  return { button: n > 1 ? [`已完成 ${n} 次`, `Done ×${n}`] : ["已完成", "Done"], note };
}

/**
 * Where a member does a task not done yet, for its 去完成 link: the birthday on the member centre (完善资料), the shop (首
 * 次购买), 我的卡券 with its store QR codes (到店核销), the invite link on the member centre (邀请好友). Null for a kind
 * this page does not know.
 */
export function taskPlace(kind: string, store: string): string | null {
  const t = `?t=${encodeURIComponent(store)}`;
  const places: Record<string, string> = {
    complete_profile: `/shop/member/${t}#birthday`,
    first_purchase: `/shop/${t}`,
    redeem_at_store: `/shop/vouchers/${t}`,
    invite_friend: `/shop/member/${t}#invites`,
  };
  return places[kind] ?? null;
}
