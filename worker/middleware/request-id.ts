import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../types";

const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Honour a caller's X-Request-Id when it is sane, otherwise mint one; echo it on every response. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const id = incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  c.header("X-Request-Id", id);
  await next();
  c.header("X-Request-Id", id);
});
