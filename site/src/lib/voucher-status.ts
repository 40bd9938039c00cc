/**
 * Live voucher status for a holder's page: polls /api/v1/voucher-status with If-None-Match every few seconds
 * (a 304 costs nothing) and calls back only when something changed. Polling, not SSE: it survives proxies,
 * sleeping phones and Worker restarts without reconnect logic.
 */
export interface VoucherStatusItem {
  code: string;
  status: "issued" | "redeemed" | "expired" | "voided" | "refunded";
  statusChangedAt: string | null;
  redeemedAt: string | null;
  storeName: string | null;
}

export function watchVoucherStatus(codes: string[], onChange: (items: VoucherStatusItem[]) => void, intervalMs = 3000): () => void {
  let etag = "";
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    if (stopped || codes.length === 0) return;
    try {
      const res = await fetch(`/api/v1/voucher-status?codes=${encodeURIComponent(codes.slice(0, 50).join(","))}`, {
        headers: etag ? { "if-none-match": etag } : {},
      });
      if (res.status === 200) {
        etag = res.headers.get("etag") ?? "";
        onChange(((await res.json()) as { vouchers: VoucherStatusItem[] }).vouchers);
      }
    } catch {
      // offline for a moment: try again on the next tick
    }
    if (!stopped) timer = setTimeout(tick, document.hidden ? intervalMs * 5 : intervalMs);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export const STATUS_ZH: Record<VoucherStatusItem["status"] | "replaced", string> = {
  issued: "可使用",
  redeemed: "已核销",
  expired: "已过期",
  voided: "已作废",
  refunded: "已退款",
  replaced: "已补发",
};
