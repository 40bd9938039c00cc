import { createServer } from "node:net";

/**
 * A free loopback port, so several test runs (or a dev stack) can share the machine. Picked at random below Linux's
 * ephemeral range (32768-60999): a port the kernel hands out for `listen(0)` is also one it hands to outgoing
 * connections, and CI's parallel lanes make thousands of those, so such a port could be taken again between this
 * check and the stack binding it (a fresh-clone CI run lost a browser stack to that).
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!(await portBusy(port))) return port;
  }
  return kernelPort();
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something already listens on a loopback port (binding it fails with EADDRINUSE or EACCES). */
export function portBusy(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(true));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(false)));
  });
}

/** Part of every busy-port message: startStack recognises a start refused for a taken port by it. */
export const PORT_IN_USE = "is already in use by another process";

/** The ports `npm start` needs that are taken, each with how to move it; empty when all are free. */
export async function busyPorts(wanted: { name: string; port: number; env: string }[]): Promise<string[]> {
  const busy = await Promise.all(wanted.map((w) => portBusy(w.port)));
  return wanted
    .filter((_, i) => busy[i])
    .map((w) => `port ${w.port} (${w.name}) ${PORT_IN_USE}: stop it, or choose another port with ${w.env}=<port> npm start`);
}
