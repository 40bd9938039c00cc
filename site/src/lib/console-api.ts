/**
 * Client for the operator area: the API key is entered once per browser and kept in localStorage (never sent
 * anywhere but this origin's /api/v1). Errors come back in the API's one shape and are shown with field paths.
 */
import { errorText, type TextContext } from "./error-text";

const KEY = "kq-operator-key";

export function operatorKey(): string | null {
  return localStorage.getItem(KEY);
}

export function saveOperatorKey(key: string) {
  localStorage.setItem(KEY, key.trim());
}

export function forgetOperatorKey() {
  localStorage.removeItem(KEY);
}

/** The console acts with an API key, so a refusal of what the key may do is worded about the key (pages say it plainly). */
const CONSOLE_CODES: NonNullable<TextContext["codes"]> = { forbidden: ["此密钥无权进行该操作", "This key may not do that"] };
const SCOPE_WORDS: Record<string, [string, string]> = {
  admin: ["管理员（admin）", "an admin"], operator: ["运营（operator）", "an operator"], analyst: ["分析（analyst）", "an analyst"], redeemer: ["核销（redeemer）", "a redeemer"],
};

/** A refusal for a missing scope says which key it takes (an operator refunding was told only 此密钥无权进行该操作). */
function forbiddenWords(message: string): [string, string] | null {
  const scope = /lacks the '(\w+)' scope/.exec(message)?.[1];
  const words = scope ? SCOPE_WORDS[scope] : undefined;
  return words ? [`此密钥无权进行该操作：需要${words[0]}密钥`, `This key may not do that: it takes ${words[1]} key`] : null;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path: string; message: string; code?: string }[] = [],
    readonly body: any = null,
    /** The request's body: a refused list item is quoted from it. */
    readonly sent?: unknown,
  ) {
    super(message);
  }
  /**
   * For people: in the page's language, from the code and each issue's field (the API message is for developers).
   * A page passes its own labels where its form names a field differently.
   */
  describe(names: Omit<TextContext, "sent"> = {}): string {
    const scoped = this.code === "forbidden" ? forbiddenWords(this.message) : null;
    const codes = { ...CONSOLE_CODES, ...(scoped ? { forbidden: scoped } : {}), ...names.codes };
    return errorText({ code: this.code, message: this.message, issues: this.issues }, undefined, { ...names, codes, sent: this.sent });
  }
}

/**
 * One API call with the console's key. `key` left out means the key saved in this browser; with none saved yet the
 * call is not made and fails as `key_required` ("enter a key first"), not as a 401 the page would word "the key is
 * invalid or expired" to someone who never entered one. Pass `null` for a public route.
 */
export async function api<T = any>(method: string, path: string, body?: unknown, key: string | null | undefined = undefined, extraHeaders: Record<string, string> = {}): Promise<T> {
  if (key === undefined) {
    key = operatorKey();
    if (!key) throw new ApiFailure(401, "key_required", "Enter an API key first", [], null, body);
  }
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...extraHeaders,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = data?.error ?? {};
    throw new ApiFailure(res.status, e.code ?? String(res.status), e.message ?? res.statusText, e.issues ?? [], data, body);
  }
  return data as T;
}

export { yuan } from "../../../worker/domain/product-html";

/**
 * Renders rows into a <tbody> with textContent only (no HTML injection from data). Each cell carries its column's
 * header as data-label: below 640 px the console shows every row as a card with those labels (ConsoleNav's CSS).
 */
export function fillTable(tbody: HTMLElement, rows: (string | Node)[][]) {
  const labels = [...(tbody.closest("table")?.tHead?.rows[0]?.cells ?? [])].map((th) => th.textContent?.trim() ?? "");
  tbody.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement("tr");
      for (const [i, cell] of cells.entries()) {
        const td = document.createElement("td");
        if (labels[i]) td.dataset.label = labels[i];
        if (typeof cell === "string") td.textContent = cell;
        else td.append(cell);
        tr.append(td);
      }
      return tr;
    }),
  );
}

/** Copies text with the async clipboard API, falling back to a selected textarea (http origins other than localhost). */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = Object.assign(document.createElement("textarea"), { value: text });
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    if (!ok) throw new Error("clipboard unavailable");
  }
}
