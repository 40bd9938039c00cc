/**
 * The reference design: a Node HTTP server doing the same claim as the campaign shard — per-user limit, stock,
 * a claim log — atomically in one Redis Lua script. Started by bench/claims.ts as its own process.
 *   REDIS_PORT, PORT, STOCK, PER_USER_LIMIT
 */
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { Resp } from "./resp";

const LUA = `
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n >= tonumber(ARGV[1]) then return -1 end
local s = tonumber(redis.call('GET', KEYS[1]) or '0')
if s <= 0 then return 0 end
redis.call('DECR', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[3], ARGV[2])
return 1`;

const redis = new Resp(Number(process.env.REDIS_PORT));
await redis.ready();
await redis.call("FLUSHALL");
await redis.call("SET", "stock", Number(process.env.STOCK));
const sha = (await redis.call("SCRIPT", "LOAD", LUA)) as string;
const limit = Number(process.env.PER_USER_LIMIT ?? 1);

const server = createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", async () => {
    try {
      const { userId } = JSON.parse(body) as { userId: string };
      if (typeof userId !== "string" || !userId) throw new Error("userId");
      const claimId = randomUUID();
      const r = (await redis.call("EVALSHA", sha, 3, "stock", `u:${userId}`, "claims", limit, `${userId}:${claimId}`)) as number;
      if (r === 1) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ claimId, outcome: "claimed" }));
      } else {
        const code = r === 0 ? "sold_out" : "limit_reached";
        res.writeHead(409, { "content-type": "application/json" }).end(JSON.stringify({ error: { code } }));
      }
    } catch (e) {
      if (process.env.DEBUG_REF) console.error(e);
      res.writeHead(400).end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.("ready"));
