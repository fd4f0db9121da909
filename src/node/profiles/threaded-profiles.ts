import type Database from "better-sqlite3";
import type { Logger } from "../../core/ports/index.js";
import type { EmailEvent } from "../../core/ports/profiles.js";
import { type IngestResult, ProfileService, type Profiles } from "../../core/profiles/service.js";
import type { IngestEvent } from "../../core/segment/event.js";
import { systemClock, webRandom } from "../../core/services.js";
import { createNodeSigner } from "../node-signer.js";
import { createSqliteProfileStore } from "../sqlite/profile-store.js";
import { lockWaiters } from "../sqlite/write-lock.js";
import { WorkerRpc } from "../worker-rpc.js";
import { startModuleWorker } from "../worker-thread.js";

/**
 * The live profiles of the Node server: writes go to a ProfileService on a writer thread
 * (profile-writer.worker.ts), reads run here on the main connection.
 *
 * Why: a group commit holds SQLite's write lock and waits on an fsync; on the main thread
 * that stalled every request in flight for the commit's duration. A write resolves once the
 * thread has committed it, so a read right after it sees it (WAL: a new read transaction
 * sees every commit).
 */
export class ThreadedProfiles implements Profiles {
  private readonly rpc: WorkerRpc;
  /** Reads only (find, exportOf): its write queue is never used. */
  private readonly reader: ProfileService;

  constructor(db: Database.Database, file: string, secret: string, logger?: Logger) {
    this.rpc = new WorkerRpc(
      startModuleWorker(import.meta.url, "./profile-writer.worker", {
        file,
        secret,
        lockWaiters: lockWaiters(),
      }),
      logger,
    );
    this.reader = new ProfileService({
      store: createSqliteProfileStore(db),
      secret,
      signer: createNodeSigner(secret),
      clock: systemClock,
      random: webRandom,
      logger,
    });
  }

  ingest(events: IngestEvent[]): Promise<IngestResult> {
    return this.rpc.call("ingest", events);
  }

  applyEmailEvent(e: EmailEvent): Promise<void> {
    return this.rpc.call("email", e);
  }

  /** Opens/clicks reach the profiles through the event log's writer (profilesFedByEventLog). */
  noteTrackEvent(): void {}

  async applyTrackEvents(): Promise<void> {}

  flush(): Promise<void> {
    return this.rpc.call("flush");
  }

  find(id: string, opts?: { history?: boolean }) {
    return this.reader.find(id, opts);
  }

  profileIds(after: string | null, limit: number) {
    return this.reader.profileIds(after, limit);
  }

  exportOf(id: string) {
    return this.reader.exportOf(id);
  }

  erase(id: string) {
    return this.rpc.call<Awaited<ReturnType<ProfileService["erase"]>>>("erase", id);
  }

  expunge(): Promise<void> {
    return this.rpc.call("expunge");
  }

  close(): Promise<void> {
    return this.rpc.close();
  }
}
