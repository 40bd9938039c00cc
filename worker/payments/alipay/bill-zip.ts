/**
 * Alipay's bill_download_url serves a zip of GBK CSVs (…_业务明细.csv and …_业务明细(汇总).csv); the local sandbox serves
 * the 业务明细 CSV itself as UTF-8. Returns the 业务明细 text either way (zip: central directory, stored or deflated
 * entries via DecompressionStream, names and contents decoded as GBK).
 */
export async function unpackBill(bytes: Uint8Array): Promise<string> {
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b)) return new TextDecoder("utf-8").decode(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("alipay bill: not a zip (no end of central directory)");
  const gbk = new TextDecoder("gbk");
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const entries: { name: string; method: number; size: number; offset: number }[] = [];
  for (let n = 0; n < count && view.getUint32(at, true) === 0x02014b50; n++) {
    const nameLen = view.getUint16(at + 28, true);
    const flags = view.getUint16(at + 8, true);
    const rawName = bytes.subarray(at + 46, at + 46 + nameLen);
    entries.push({
      name: flags & 0x800 ? new TextDecoder().decode(rawName) : gbk.decode(rawName),
      method: view.getUint16(at + 10, true), size: view.getUint32(at + 20, true), offset: view.getUint32(at + 42, true),
    });
    at += 46 + nameLen + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  const entry = entries.find((e) => e.name.includes("业务明细") && !e.name.includes("汇总"));
  if (!entry) throw new Error("alipay bill: the zip holds no 业务明细 file");
  const start = entry.offset + 30 + view.getUint16(entry.offset + 26, true) + view.getUint16(entry.offset + 28, true);
  const data = bytes.slice(start, start + entry.size);
  if (entry.method === 0) return gbk.decode(data);
  if (entry.method !== 8) throw new Error(`alipay bill: zip method ${entry.method} unsupported`);
  const inflated = await new Response(new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"))).arrayBuffer();
  return gbk.decode(inflated);
}
