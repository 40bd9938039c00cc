import { createMiddleware } from "hono/factory";
import { requestIdFrom } from "../domain/request-id";
import type { AppEnv } from "../types";

/** Honour a caller's X-Request-Id when it is sane, otherwise mint one; echo it on every response. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = requestIdFrom(c.req.header("x-request-id"));
  c.set("requestId", id);
  c.header("X-Request-Id", id);
  await next();
  c.header("X-Request-Id", id);
});
