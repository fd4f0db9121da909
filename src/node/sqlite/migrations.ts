/**
 * Versioned schema. Each entry runs once, in order, inside a transaction; the applied
 * version is kept in PRAGMA user_version. Never edit a shipped migration: add one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: links, the append-only event log and per-campaign counters.
  `
  CREATE TABLE links (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    campaign TEXT,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX links_campaign_url ON links(campaign, url) WHERE campaign IS NOT NULL;

  CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    campaign TEXT NOT NULL,
    link_id TEXT,
    recipient TEXT,
    class TEXT NOT NULL,
    reasons TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    method TEXT NOT NULL
  ) STRICT;
  CREATE INDEX events_campaign ON events(campaign, kind);
  CREATE INDEX events_recipient ON events(recipient) WHERE recipient IS NOT NULL;

  -- Totals per campaign, kind and class, kept in the same transaction as the log.
  CREATE TABLE campaign_counters (
    campaign TEXT NOT NULL,
    kind TEXT NOT NULL,
    class TEXT NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (campaign, kind, class)
  ) STRICT, WITHOUT ROWID;

  -- One row per recipient and kind: its first class, for unique counts.
  CREATE TABLE campaign_uniques (
    campaign TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    class TEXT NOT NULL,
    PRIMARY KEY (campaign, kind, recipient)
  ) STRICT, WITHOUT ROWID;
  `,
  // 2: blocks (live images, editable after send) and per-recipient first-seen times
  // for evergreen timers.
  `
  CREATE TABLE blocks (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    options TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE block_first_seen (
    block_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (block_id, recipient)
  ) STRICT, WITHOUT ROWID;
  `,
];
