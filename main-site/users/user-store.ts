import type { Db } from '../../common/store/sqlite.js';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  registeredSite: string;
  createdAt: string;
}

type Row = { id: string; email: string; name: string; password_hash: string; registered_site: string; created_at: string };
const toUser = (r: Row): UserRecord => ({ id: r.id, email: r.email, name: r.name, passwordHash: r.password_hash, registeredSite: r.registered_site, createdAt: r.created_at });

export class UserStore {
  private readonly q;
  constructor(db: Db) {
    this.q = {
      byEmail: db.prepare<[string], Row>('SELECT * FROM users WHERE email = ?'),
      byId: db.prepare<[string], Row>('SELECT * FROM users WHERE id = ?'),
      insert: db.prepare('INSERT INTO users (id, email, name, password_hash, registered_site, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      list: db.prepare<[], Row>('SELECT * FROM users ORDER BY created_at DESC LIMIT 500'),
      birthDate: db.prepare<[string], { birth_date: string | null }>('SELECT birth_date FROM users WHERE id = ?'),
      setBirthDate: db.prepare('UPDATE users SET birth_date = ? WHERE id = ?'),
    };
  }
  byId(id: string): UserRecord | undefined {
    const r = this.q.byId.get(id);
    return r ? toUser(r) : undefined;
  }
  byEmail(email: string): UserRecord | undefined {
    const r = this.q.byEmail.get(email);
    return r ? toUser(r) : undefined;
  }
  /** false when the email is taken. */
  insert(u: UserRecord): boolean {
    try {
      this.q.insert.run(u.id, u.email, u.name, u.passwordHash, u.registeredSite, u.createdAt);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw err;
    }
  }
  /** undefined: no such user; null: no birth date given. */
  birthDate(id: string): string | null | undefined {
    const r = this.q.birthDate.get(id);
    return r ? r.birth_date : undefined;
  }
  setBirthDate(id: string, date: string | null): boolean {
    return this.q.setBirthDate.run(date, id).changes === 1;
  }
  list(): UserRecord[] {
    return this.q.list.all().map(toUser);
  }
}
