import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));

describe("issue paths", () => {
  // zod's issues name a body field `json.<field>` (the validator's target); a service's own check of a body field
  // must name it the same way, so a client maps every issue to its input with one rule.
  it("every issue path the worker writes for a body field starts with json., as zod's do", () => {
    const offenders = files("worker").flatMap((f) =>
      readFileSync(f, "utf8").split("\n").flatMap((line, i) => (/["'`]body\.[A-Za-z$]/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])));
    expect(offenders).toEqual([]);
  });
});
