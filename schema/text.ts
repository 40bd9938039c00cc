import { z } from "@hono/zod-openapi";

/**
 * Characters no text a person types needs, which make stored text break or lie: control characters other than tab
 * and line breaks (a NUL cuts a string short in C tools, logs and CSV readers), bidirectional embeddings, overrides
 * and isolates (U+202A–202E, U+2066–2069: a name shown in another order than it is stored, "Trojan Source"), and
 * unpaired UTF-16 surrogates (not text at all; D1 keeps them as U+FFFD). Matched per UTF-16 unit on purpose (no `u`).
 */
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const hasUnsafeChars = (s: string) => UNSAFE.test(s);

/**
 * z.string() for text that people read — names, descriptions, messages shown to buyers and operators. Such text with
 * UNSAFE characters is refused (issue code `unsafe_characters`), never stored.
 */
export const text = () =>
  z.string().refine((s) => !UNSAFE.test(s), {
    message: "must not contain control characters, bidirectional overrides or unpaired surrogates",
    params: { reason: "unsafe_characters" },
  });
