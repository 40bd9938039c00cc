/** An iCalendar (RFC 5545) reminder for a campaign's start: one VEVENT with a VALARM 5 minutes before. */
export interface Reminder {
  uid: string;
  title: string;
  description: string;
  url: string;
  start: Date;
  end: Date;
  now?: Date;
}

/** UTC form YYYYMMDDTHHMMSSZ. */
export const icsTime = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

/** TEXT values: backslash, semicolon and comma escaped, newlines as \n. */
export const icsText = (s: string) => s.replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\r?\n/g, "\\n");

/** Lines longer than 75 octets are folded (CRLF + space), never inside a UTF-8 character. */
export function icsFold(line: string): string {
  const enc = new TextEncoder();
  const parts: string[] = [];
  let cur = "";
  let bytes = 0;
  for (const ch of line) {
    const n = enc.encode(ch).length;
    if (bytes + n > (parts.length ? 74 : 75)) {
      parts.push(cur);
      cur = "";
      bytes = 0;
    }
    cur += ch;
    bytes += n;
  }
  parts.push(cur);
  return parts.join("\r\n ");
}

export function reminderIcs(r: Reminder): string {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//kaquan//campaign reminder//ZH",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    "BEGIN:VEVENT",
    `UID:${r.uid}`,
    `DTSTAMP:${icsTime(r.now ?? new Date())}`,
    `DTSTART:${icsTime(r.start)}`,
    `DTEND:${icsTime(r.end)}`,
    `SUMMARY:${icsText(r.title)}`,
    `DESCRIPTION:${icsText(`${r.description}\n${r.url}`)}`,
    `URL:${r.url}`,
    "BEGIN:VALARM",
    "ACTION:DISPLAY",
    "TRIGGER:-PT5M",
    `DESCRIPTION:${icsText(r.title)}`,
    "END:VALARM",
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return lines.map(icsFold).join("\r\n") + "\r\n";
}
