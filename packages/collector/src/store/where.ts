import type { RangeFilter } from './store.js';

/** A WHERE clause built from the filters actually given, so no parameter is ever untyped NULL. */
export class Where {
  readonly #clauses: string[] = [];
  readonly params: unknown[] = [];

  add(clause: string, ...params: unknown[]): this {
    this.#clauses.push(clause);
    this.params.push(...params);
    return this;
  }

  addIf(value: unknown, clause: string): this {
    if (value !== undefined && value !== null && value !== '') this.add(clause, value);
    return this;
  }

  range(filter: RangeFilter): this {
    this.add('timestamp_us >= ?', Math.floor(filter.fromMs * 1000));
    this.add('timestamp_us < ?', Math.floor(filter.toMs * 1000));
    this.addIf(filter.service, 'service = ?');
    this.addIf(filter.environment, 'environment = ?');
    return this;
  }

  toString(): string {
    return this.#clauses.length === 0 ? '' : `WHERE ${this.#clauses.join(' AND ')}`;
  }
}
