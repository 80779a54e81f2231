/** The store's read side: one read-only connection on the main thread, cached statements, coded failures. */
import type Database from 'better-sqlite3';
import { PeerchatError } from '../errors.js';
import { corruptError, isCorruption, storeError } from './db.js';

export class Reader {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    readonly db: Database.Database,
    readonly path: string,
    /** True once the store is closed: reads then throw ERR_CLOSED. */
    private readonly isClosed: () => boolean,
  ) {}

  /** Run a read, turning SQLite failures into coded errors (ERR_STORE_CORRUPT / ERR_STORE_READ). */
  read<T>(fn: () => T): T {
    this.assertOpen();
    try {
      return fn();
    } catch (err) {
      if (err instanceof PeerchatError) throw err;
      if (isCorruption(err)) throw corruptError(this.path, err);
      throw storeError('ERR_STORE_READ', this.path, err);
    }
  }

  /** `sql` prepared once per connection. */
  stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** All rows of `sql`, through read(). */
  all<R>(sql: string, ...args: unknown[]): R[] {
    return this.read(() => this.stmt(sql).all(...args) as R[]);
  }

  /** The first row of `sql`, through read(). */
  get<R>(sql: string, ...args: unknown[]): R | undefined {
    return this.read(() => this.stmt(sql).get(...args) as R | undefined);
  }

  assertOpen(): void {
    if (this.isClosed()) throw new PeerchatError('ERR_CLOSED', `the store ${this.path} is closed`);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
