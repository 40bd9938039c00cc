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

/**
 * What a phone or a brand's page sends without a key (shop, campaign, tracking routes) is a few KB: a larger body is
 * refused (413) before it is read, so an anonymous request cannot make the worker parse megabytes. Keyed routes (key
 * imports, event imports, reconciliation statements) keep the platform's limit.
 */
export const PUBLIC_MAX_BYTES = 128 * 1024;

/** The refusal, also thrown by the claim fast path, which runs before this middleware. */
export const publicBodyTooLarge = () => new ApiError(413, "body_too_large", `A request body here is at most ${PUBLIC_MAX_BYTES} bytes`);

export const publicBodyLimit = bodyLimit({
  maxSize: PUBLIC_MAX_BYTES,
  onError: () => {
    throw publicBodyTooLarge();
  },
});
