// For bench/data.ts only, not a way to run opentime: the shipped server (dist/, as `npm
// start` builds it) with one change, the guarded fetcher exempting 127.0.0.1 from its
// private-address check, as the tests do, so a data source can stand on loopback beside
// it. That exemption is never read from the environment by the real entry (main.ts).
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "../..");
const load = (p: string) => import(pathToFileURL(join(root, "dist", p)).href);
const { parseConfig } = await load("core/config.js");
const { startServer } = await load("node/server.js");
const { createGuardedFetcher } = await load("node/fetch/guarded-fetcher.js");
const { createLogger } = await load("node/logger.js");

const config = parseConfig(process.env);
const server = await startServer(config, createLogger(config.LOG_LEVEL), {
  fetcher: createGuardedFetcher({ allow: ["127.0.0.1"], allowPrivate: ["127.0.0.1"] }),
});
console.log(JSON.stringify({ port: server.port, msg: "opentime (loopback sources) listening" }));
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
