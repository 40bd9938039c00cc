/**
 * What the API CLIs (admin, import:keys, simulate) share: the API base they talk to, their arguments with a usage line
 * instead of a stack trace, and a failure to reach the API said in words.
 */
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** `--url`, else KAQUAN_URL, else the local default; a stack on other ports (KAQUAN_PORT) needs one of the first two. */
export const DEFAULT_URL = process.env.KAQUAN_URL ?? `http://127.0.0.1:${process.env.KAQUAN_PORT ?? 8787}`;

export function cliArgs<T extends ParseArgsConfig>(config: T, usage: string) {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : e}\n${usage}`);
    process.exit(2);
  }
}

/** A fetch that could not connect, as a sentence naming the URL and how to point the CLI elsewhere. */
export function describeFailure(e: unknown, url: string): string {
  const cause = (e as { cause?: { code?: string } })?.cause;
  if (e instanceof TypeError && /fetch failed/.test(e.message)) {
    return `cannot reach the API at ${url}${cause?.code ? ` (${cause.code})` : ""}: is \`npm start\` running? A stack on other ports needs --url http://127.0.0.1:<KAQUAN_PORT> (or KAQUAN_URL).`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Anything the script did not catch (a top-level await included) ends it with that sentence, not a stack trace. */
export function failInWords(url: () => string) {
  process.on("uncaughtException", (e) => {
    console.error(`\n${describeFailure(e, url())}`);
    process.exit(1);
  });
}

/** A JSON file the verifiers read, or exit 2 with a sentence saying which file and why (no stack trace). */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    console.error(`cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : e)}`);
    process.exit(2);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    console.error(`the ${what} ${path} is not JSON: ${e instanceof Error ? e.message : e}`);
    process.exit(2);
  }
}
