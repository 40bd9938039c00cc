import { OpenAPIHono, type z } from "@hono/zod-openapi";
import { ErrorBody } from "../../schema/errors";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";

/** Every sub-app is an OpenAPIHono whose validation failures become the one error shape. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw ApiError.fromZod(result.error as z.ZodError, result.target);
    },
  });
}

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { body: { content: { "application/json": { schema } }, required: true, description } };
}

/** A body that may be left out entirely (then the handler sees `{}`); when sent, it is validated as usual. */
export function optionalJsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { body: { content: { "application/json": { schema } }, required: false, description } };
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

const err = (description: string) => json(ErrorBody, description);

/** The error responses a route can give, for the OpenAPI document. */
export const errors = {
  400: err("Invalid input"),
  401: err("Missing or invalid credentials"),
  403: err("Credentials lack the needed scope"),
  404: err("Not found"),
  409: err("Conflict with the current state"),
  413: err("Request body too large"),
  429: err("Rate limited; see Retry-After"),
} as const;

export const bearerAuth = [{ bearerAuth: [] }];
