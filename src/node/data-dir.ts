import { chmodSync, existsSync, mkdirSync, readdirSync } from "node:fs";

/** What opentime keeps in its data dir: the SQLite database and the generated keys. */
export const DB_FILE = "opentime.db";
export const SECRETS_FILE = "secrets.json";

// Owner-only: the database holds people's addresses and what they did, the keys sign links.
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/**
 * Creates the data dir private, or makes an existing one private when it is opentime's
 * (empty, or holding its files: an older version left it 0755). Any other existing dir
 * (OPENTIME_DATA_DIR=/tmp, say) keeps its mode; the files opentime puts there are private.
 */
export function privateDataDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    return;
  }
  const entries = readdirSync(dir);
  if (entries.length === 0 || entries.includes(DB_FILE) || entries.includes(SECRETS_FILE)) {
    chmodSync(dir, PRIVATE_DIR);
  }
}

/** Makes a file only its owner can read and write, if it exists. */
export function privateFile(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/**
 * Makes a SQLite database and the files beside it private. SQLite creates a database
 * 0644 less the umask, and its -wal, -shm and -journal files with the database's own mode:
 * with the database private, those it creates later (on any thread's connection) are too.
 * Ones an older version left are changed here.
 */
export function privateDatabase(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) privateFile(f);
}
