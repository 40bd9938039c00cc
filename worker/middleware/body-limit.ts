import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../errors";

/**
 * Gateway and supplier notices are a few KB: a larger body is refused (413) before it is read whole, so an unsigned
 * request cannot make the worker buffer megabytes before its signature is even looked at.
 */
export const CALLBACK_MAX_BYTES = 64 * 1024;

export const callbackBodyLimit = bodyLimit({
  maxSize: CALLBACK_MAX_BYTES,
  onError: () => {
    throw new ApiError(413, "body_too_large", `A callback body is at most ${CALLBACK_MAX_BYTES} bytes`);
  },
});
