/**
 * Known crawlers, link previewers and scripted HTTP clients by User-Agent: their page views are not visitors.
 * Headless browsers are not on the list (they run real pages, and the end-to-end tests drive one).
 */
const BOT_UA =
  /bot\b|bot\/|crawler|spider|slurp|bingpreview|facebookexternalhit|embedly|quora link preview|whatsapp|telegrambot|slackbot|discordbot|lighthouse|pingdom|uptimerobot|python-requests|python-urllib|curl\/|wget\/|go-http-client|java\/|okhttp|libwww|httpclient|axios\/|scrapy|petalbot|bytespider|baiduspider|sogou|360spider|yisouspider|yandex|mj12|ahrefs|semrush/i;

export function isBot(userAgent: string | null | undefined): boolean {
  return !!userAgent && BOT_UA.test(userAgent);
}
