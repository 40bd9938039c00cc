/**
 * Option labels for a console picker. Two products (or campaigns) may share a name — a draft copy beside the live one,
 * last year's 秒杀 beside this year's — and a picker of bare names then hides which one is chosen. A shared name gets
 * `extra(item)` (price, status, …) and the id's last 6 characters; a unique name stays as it is. Pure; tested in
 * test/unit/picker-labels-unit.test.ts.
 */
export function pickerLabels<T extends { id: string; name: string }>(items: readonly T[], extra: (item: T) => string = () => ""): Map<string, string> {
  const named = new Map<string, number>();
  for (const item of items) named.set(item.name, (named.get(item.name) ?? 0) + 1);
  return new Map(items.map((item) => [
    item.id,
    named.get(item.name)! > 1 ? [item.name, extra(item), `#${item.id.slice(-6)}`].filter(Boolean).join(" · ") : item.name,
  ]));
}

