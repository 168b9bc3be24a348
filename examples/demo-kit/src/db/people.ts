/**
 * The demo's one table, `people(id, name, city)`, behind the three SQL routes. Both stores
 * run the same statements, so the spans in the UI read the same on SQLite and PostgreSQL.
 */
export interface Person {
  id: number;
  name: string;
  city: string;
}

export interface CityCount {
  city: string;
  count: number;
}

export interface PeopleStore {
  readonly kind: 'sqlite' | 'postgresql';
  /** Five inserts in one transaction; resolves to the ids written. */
  insertFive(): Promise<number[]>;
  /** The newest rows (bounded: the table grows for as long as the demo runs). */
  readRecent(): Promise<Person[]>;
  countByCity(): Promise<CityCount[]>;
  /** A statement that takes `ms` in the database (the demo's injected fault). */
  stall(ms: number): Promise<void>;
  close(): Promise<void>;
}

export const READ_LIMIT = 50;

const FIRST_NAMES = ['Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Radia', 'Edsger', 'Frances', 'John'];
const LAST_NAMES = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Perlman', 'Dijkstra', 'Allen', 'Backus'];
const CITIES = ['Lisbon', 'Nairobi', 'Osaka', 'Lima', 'Oslo', 'Montreal', 'Pune', 'Adelaide'];

function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)]!;
}

/** A made-up person; cities are drawn unevenly so that /sql-group has a shape worth a chart. */
export function randomPerson(): { name: string; city: string } {
  const skewed = Math.floor(CITIES.length * Math.random() ** 2);
  return { name: `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`, city: CITIES[skewed]! };
}
