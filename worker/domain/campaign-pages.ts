/** The page that shows a campaign of each kind: /campaigns/flash/ (flash sales and coupon claims) or /campaigns/lottery/. */
export type CampaignPage = "flash" | "lottery";

export const campaignPageOf = (kind: string): CampaignPage => (kind === "lottery" ? "lottery" : "flash");
