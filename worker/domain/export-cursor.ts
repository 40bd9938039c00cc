import { ExportPosition } from "../../schema/exports";

const toB64Url = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromB64Url = (s: string) => new TextDecoder().decode(Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0)));

/** A row's resume cursor: opaque to clients, its (time, id) position to us. */
export function encodeCursor(p: ExportPosition): string {
  return toB64Url(JSON.stringify([p.at, p.id]));
}

/** The position a cursor names, or null for anything an export row did not carry. */
export function decodeCursor(cursor: string): ExportPosition | null {
  let parsed: unknown;
  try {
    const [at, id] = JSON.parse(fromB64Url(cursor)) as [unknown, unknown];
    parsed = { at, id };
  } catch {
    parsed = null;
  }
  const position = ExportPosition.safeParse(parsed);
  return position.success ? position.data : null;
}
