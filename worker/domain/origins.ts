/** The comma-separated origin list of a setting (CORS_ORIGINS), trimmed, blanks dropped. */
export function allowedOrigins(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
