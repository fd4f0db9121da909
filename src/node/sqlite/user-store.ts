import type Database from "better-sqlite3";
import type { Role, SessionRecord, UserRecord, UserStore } from "../../core/ports/users.js";

interface UserRow {
  id: string;
  email: string;
  role: string;
  password_hash: string;
  created_at: number;
}

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  email: r.email,
  role: r.role as Role,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
});

/**
 * Users, sessions and the setup token in the server's SQLite file. Every write is one small
 * synchronous statement (few, rare writes: sign-in, sign-out, user changes).
 */
export class SqliteUserStore implements UserStore {
  private readonly q;

  constructor(db: Database.Database) {
    this.q = {
      count: db.prepare("SELECT count(*) AS n FROM app_users"),
      insert: db.prepare(
        "INSERT INTO app_users (id, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
      ),
      byEmail: db.prepare("SELECT * FROM app_users WHERE email = ?"),
      byId: db.prepare("SELECT * FROM app_users WHERE id = ?"),
      list: db.prepare("SELECT * FROM app_users ORDER BY created_at, email"),
      delete: db.prepare("DELETE FROM app_users WHERE id = ?"),
      insertSession: db.prepare(
        "INSERT INTO app_sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
      ),
      session: db.prepare(
        `SELECT s.token_hash, s.user_id, s.csrf, s.created_at AS s_created, s.expires_at, u.*
           FROM app_sessions s JOIN app_users u ON u.id = s.user_id
          WHERE s.token_hash = ? AND s.expires_at > ?`,
      ),
      deleteSession: db.prepare("DELETE FROM app_sessions WHERE token_hash = ?"),
      deleteSessionsOf: db.prepare("DELETE FROM app_sessions WHERE user_id = ?"),
      deleteExpired: db.prepare("DELETE FROM app_sessions WHERE expires_at <= ?"),
      clearSetup: db.prepare("DELETE FROM app_setup_tokens"),
      putSetup: db.prepare("INSERT INTO app_setup_tokens (token_hash, expires_at) VALUES (?, ?)"),
      takeSetup: db.prepare("DELETE FROM app_setup_tokens WHERE token_hash = ? AND expires_at > ?"),
    };
  }

  async countUsers() {
    return (this.q.count.get() as { n: number }).n;
  }
  async createUser(u: UserRecord) {
    this.q.insert.run(u.id, u.email, u.role, u.passwordHash, u.createdAt);
  }
  async userByEmail(email: string) {
    const r = this.q.byEmail.get(email) as UserRow | undefined;
    return r ? toUser(r) : null;
  }
  async userById(id: string) {
    const r = this.q.byId.get(id) as UserRow | undefined;
    return r ? toUser(r) : null;
  }
  async listUsers() {
    return (this.q.list.all() as UserRow[]).map(toUser);
  }
  async deleteUser(id: string) {
    // Sessions go with the user (ON DELETE CASCADE needs foreign_keys; say it plainly).
    this.q.deleteSessionsOf.run(id);
    return this.q.delete.run(id).changes > 0;
  }
  async createSession(s: SessionRecord) {
    this.q.deleteExpired.run(s.createdAt);
    this.q.insertSession.run(s.tokenHash, s.userId, s.csrf, s.createdAt, s.expiresAt);
  }
  async session(tokenHash: string, now: number) {
    const r = this.q.session.get(tokenHash, now) as
      | (UserRow & {
          token_hash: string;
          user_id: string;
          csrf: string;
          s_created: number;
          expires_at: number;
        })
      | undefined;
    if (!r) return null;
    return {
      session: {
        tokenHash: r.token_hash,
        userId: r.user_id,
        csrf: r.csrf,
        createdAt: r.s_created,
        expiresAt: r.expires_at,
      },
      user: toUser(r),
    };
  }
  async deleteSession(tokenHash: string) {
    this.q.deleteSession.run(tokenHash);
  }
  async deleteSessionsOf(userId: string) {
    return this.q.deleteSessionsOf.run(userId).changes;
  }
  async putSetupToken(tokenHash: string, expiresAt: number) {
    this.q.clearSetup.run();
    this.q.putSetup.run(tokenHash, expiresAt);
  }
  async takeSetupToken(tokenHash: string, now: number) {
    return this.q.takeSetup.run(tokenHash, now).changes > 0;
  }
}
