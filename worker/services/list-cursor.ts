import { decodeListCursor } from "../domain/after-sale";
import { ApiError } from "../errors";

/**
 * A list's `query.cursor` as its (created_at, id) position: null without one; 400 invalid_cursor for one no list gave
 * (answered as page one, a client holding a damaged cursor would start over, and could loop).
 */
export function listPosition(cursor: string | undefined): { createdAt: string; id: string } | null {
  if (!cursor) return null;
  const at = decodeListCursor(cursor);
  if (!at) throw new ApiError(400, "invalid_cursor", "The cursor is not one this list gave", [{ path: "query.cursor", message: "unknown cursor", code: "invalid_cursor" }]);
  return at;
}
