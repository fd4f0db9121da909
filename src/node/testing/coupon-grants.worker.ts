import { parentPort, workerData } from "node:worker_threads";
import { createSqliteCouponStore } from "../sqlite/live-store.js";
import { openDatabase } from "../sqlite/store.js";

// For tests only: grants offers on a connection of its own, as another thread or process
// would, so a test can race it against the main thread's connection on the same file.
const { file, offer, pool, recipients } = workerData as {
  file: string;
  offer: string;
  pool: string;
  recipients: string[];
};
const db = openDatabase(file);
const coupons = createSqliteCouponStore(db);
const out: [string, string | null][] = [];
for (const r of recipients) {
  const g = await coupons.grant(offer, r, [{ level: "l", pool, cap: null }], Date.now());
  out.push([r, g?.code ?? null]);
}
db.close();
parentPort!.postMessage(out);
