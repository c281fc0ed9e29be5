import type { Db } from './sqlite.js';

export type ConsoleRole = 'operator' | 'manager';

export interface ConsoleUser {
  id: string;
  username: string;
  passwordHash: string;
  role: ConsoleRole;
  createdAt: string;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: ConsoleRole;
  created_at: string;
}

const toUser = (r: UserRow): ConsoleUser => ({
  id: r.id,
  username: r.username,
  passwordHash: r.password_hash,
  role: r.role,
  createdAt: r.created_at,
});

export interface SessionRecord {
  user: ConsoleUser;
  csrfToken: string;
  expiresAt: string;
}

/** Console users, their API tokens and their browser sessions. */
export class ConsoleStore {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      byName: db.prepare<[string], UserRow>('SELECT * FROM console_users WHERE username = ?'),
      byId: db.prepare<[string], UserRow>('SELECT * FROM console_users WHERE id = ?'),
      list: db.prepare<[], UserRow>('SELECT * FROM console_users ORDER BY username'),
      upsertUser: db.prepare(
        `INSERT INTO console_users (id, username, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role`,
      ),
      byToken: db.prepare<[string], UserRow>('SELECT u.* FROM api_tokens t JOIN console_users u ON u.id = t.user_id WHERE t.token_hash = ?'),
      addToken: db.prepare('INSERT OR REPLACE INTO api_tokens (token_hash, user_id, label, created_at) VALUES (?, ?, ?, ?)'),
      dropTokensByLabel: db.prepare('DELETE FROM api_tokens WHERE user_id = ? AND label = ?'),
      addSession: db.prepare('INSERT INTO console_sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
      session: db.prepare<[string, string], UserRow & { csrf_token: string; expires_at: string }>(
        `SELECT u.*, s.csrf_token, s.expires_at FROM console_sessions s JOIN console_users u ON u.id = s.user_id
         WHERE s.id_hash = ? AND s.expires_at > ?`,
      ),
      dropSession: db.prepare('DELETE FROM console_sessions WHERE id_hash = ?'),
      purgeSessions: db.prepare('DELETE FROM console_sessions WHERE expires_at <= ?'),
    };
  }

  userByName(username: string): ConsoleUser | undefined {
    const r = this.q.byName.get(username);
    return r ? toUser(r) : undefined;
  }

  userById(id: string): ConsoleUser | undefined {
    const r = this.q.byId.get(id);
    return r ? toUser(r) : undefined;
  }

  users(): ConsoleUser[] {
    return this.q.list.all().map(toUser);
  }

  /** Creates the user, or resets the password and role of an existing one. */
  upsertUser(id: string, username: string, passwordHash: string, role: ConsoleRole): ConsoleUser {
    this.q.upsertUser.run(id, username, passwordHash, role, new Date().toISOString());
    return this.userByName(username)!;
  }

  userByTokenHash(tokenHash: string): ConsoleUser | undefined {
    const r = this.q.byToken.get(tokenHash);
    return r ? toUser(r) : undefined;
  }

  /** Stores a token under a label, replacing any earlier token of the user with the same label. */
  replaceToken(userId: string, label: string, tokenHash: string): void {
    this.q.dropTokensByLabel.run(userId, label);
    this.q.addToken.run(tokenHash, userId, label, new Date().toISOString());
  }

  createSession(idHash: string, userId: string, csrfToken: string, expiresAt: Date): void {
    this.q.addSession.run(idHash, userId, csrfToken, new Date().toISOString(), expiresAt.toISOString());
  }

  session(idHash: string): SessionRecord | undefined {
    const r = this.q.session.get(idHash, new Date().toISOString());
    return r ? { user: toUser(r), csrfToken: r.csrf_token, expiresAt: r.expires_at } : undefined;
  }

  dropSession(idHash: string): void {
    this.q.dropSession.run(idHash);
  }

  purgeSessions(): number {
    return this.q.purgeSessions.run(new Date().toISOString()).changes;
  }
}
