import { createConnection, type Socket } from "node:net";

type Reply = string | number | null | Reply[];

/** A minimal pipelining Redis (RESP2) client: enough for EVALSHA on the hot path, no dependency. */
export class Resp {
  private sock: Socket;
  private buf = Buffer.alloc(0);
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];

  constructor(port: number, host = "127.0.0.1") {
    this.sock = createConnection({ port, host });
    this.sock.setNoDelay(true);
    this.sock.on("data", (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      for (;;) {
        const parsed = parse(this.buf, 0);
        if (!parsed) break;
        this.buf = this.buf.subarray(parsed.end);
        const w = this.waiting.shift()!;
        if (parsed.value instanceof Error) w.reject(parsed.value);
        else w.resolve(parsed.value);
      }
    });
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sock.once("connect", () => resolve());
      this.sock.once("error", reject);
    });
  }

  call(...args: (string | number)[]): Promise<Reply> {
    let out = `*${args.length}\r\n`;
    for (const a of args) {
      const s = String(a);
      out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.sock.write(out);
    });
  }

  close() {
    this.sock.end();
  }
}

function parse(b: Buffer, at: number): { value: Reply | Error; end: number } | null {
  const nl = b.indexOf("\r\n", at);
  if (nl < 0) return null;
  const type = String.fromCharCode(b[at]!);
  const line = b.toString("utf8", at + 1, nl);
  switch (type) {
    case "+":
      return { value: line, end: nl + 2 };
    case "-":
      return { value: new Error(line), end: nl + 2 };
    case ":":
      return { value: Number(line), end: nl + 2 };
    case "$": {
      const len = Number(line);
      if (len < 0) return { value: null, end: nl + 2 };
      if (b.length < nl + 2 + len + 2) return null;
      return { value: b.toString("utf8", nl + 2, nl + 2 + len), end: nl + 2 + len + 2 };
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return { value: null, end: nl + 2 };
      const items: Reply[] = [];
      let end = nl + 2;
      for (let i = 0; i < n; i++) {
        const p = parse(b, end);
        if (!p) return null;
        if (p.value instanceof Error) return p;
        items.push(p.value);
        end = p.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`bad RESP type ${type}`);
  }
}
