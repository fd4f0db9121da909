// People who sign in to the web app (/app), their sessions, and the one-time setup token
// that creates the first of them. The API key stays the API's own credential.

export const ROLES = ["admin", "editor"] as const;
export type Role = (typeof ROLES)[number];

export interface UserRecord {
  id: string;
  email: string;
  role: Role;
  /** The PasswordHasher's encoding (algorithm, parameters, salt, hash). */
  passwordHash: string;
  createdAt: number;
}

export interface SessionRecord {
  /** SHA-256 of the cookie's token (hex): a copy of the database cannot be replayed as a cookie. */
  tokenHash: string;
  userId: string;
  /** Sent back in X-CSRF-Token on every state-changing request. */
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

export interface UserStore {
  countUsers(): Promise<number>;
  createUser(user: UserRecord): Promise<void>;
  userByEmail(email: string): Promise<UserRecord | null>;
  userById(id: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  deleteUser(id: string): Promise<boolean>;
  createSession(session: SessionRecord): Promise<void>;
  /** The session and its user, when the session exists and has not expired at `now`. */
  session(tokenHash: string, now: number): Promise<{ session: SessionRecord; user: UserRecord } | null>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Sign-out everywhere: every session of the user. */
  deleteSessionsOf(userId: string): Promise<number>;
  /** Keeps one setup token (hashed), replacing any earlier one. */
  putSetupToken(tokenHash: string, expiresAt: number): Promise<void>;
  /** True once for a token that is current and unexpired; it is gone afterwards. */
  takeSetupToken(tokenHash: string, now: number): Promise<boolean>;
}

/** Slow password hashing (scrypt in Node); the stored string carries its own parameters. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}
