import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Config, ConfigError, parseConfig } from "../core/config.js";
import { privateDataDir, privateFile, SECRETS_FILE } from "./data-dir.js";

export interface LoadedConfig {
  config: Config;
  dataDir: string;
  /** Set when keys were generated or read from the data dir (printed once at start). */
  secretsFile: string | null;
  generated: boolean;
}

/**
 * Reads the environment. Without OPENTIME_API_KEY / OPENTIME_SECRET, strong ones are
 * generated on first start and kept (mode 0600) in the data dir, so the server never runs
 * with a guessable default and keeps the same keys across restarts.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): LoadedConfig {
  const dataDir = resolve(env.OPENTIME_DATA_DIR || "./data");
  const filled: Record<string, string | undefined> = { ...env, OPENTIME_DATA_DIR: dataDir };
  let secretsFile: string | null = null;
  let generated = false;
  if (!env.OPENTIME_API_KEY || !env.OPENTIME_SECRET) {
    privateDataDir(dataDir);
    secretsFile = join(dataDir, SECRETS_FILE);
    let kept: Record<string, string> = {};
    if (existsSync(secretsFile)) {
      privateFile(secretsFile);
      try {
        kept = JSON.parse(readFileSync(secretsFile, "utf8"));
      } catch {
        throw new ConfigError([`${secretsFile}: not valid JSON; fix or delete it to generate new keys`]);
      }
    }
    if (!kept.OPENTIME_API_KEY || !kept.OPENTIME_SECRET) {
      kept = {
        OPENTIME_API_KEY: kept.OPENTIME_API_KEY || `ot_${randomBytes(24).toString("base64url")}`,
        OPENTIME_SECRET: kept.OPENTIME_SECRET || randomBytes(32).toString("base64url"),
      };
      writeFileSync(secretsFile, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
      privateFile(secretsFile);
      generated = true;
    }
    filled.OPENTIME_API_KEY ||= kept.OPENTIME_API_KEY;
    filled.OPENTIME_SECRET ||= kept.OPENTIME_SECRET;
  }
  return { config: parseConfig(filled), dataDir, secretsFile, generated };
}
