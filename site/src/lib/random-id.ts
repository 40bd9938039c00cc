/**
 * A random UUID (v4) from crypto.getRandomValues. crypto.randomUUID exists only in secure contexts and newer
 * browsers (Chrome 92, iOS 15.4): on a brand's page served over plain http, or in an older in-app browser, calling it
 * threw, and the widget's every claim and draw failed with 暂时无法参与.
 */
export function randomUuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
