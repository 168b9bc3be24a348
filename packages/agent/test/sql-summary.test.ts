/**
 * How a statement is named and stripped of its data in a span: the summary a person scans
 * the waterfall for, and `db.statement` without the literals (quotes, comments, dollar
 * quotes and placeholders understood, never mistaken for one another).
 */
import { describe, expect, it } from 'vitest';
import { sanitizeSql } from '../src/instrument/sql/sanitize.js';
import { summarizeSql } from '../src/instrument/sql/summary.js';

describe('statement summary', () => {
  const cases: Array<[string, string, 'postgresql' | 'mysql' | 'sqlite'?]> = [
    ['SELECT * FROM people WHERE id = 1', 'SELECT FROM people'],
    ['select name, city from public.people p join cities c on c.id = p.city', 'SELECT FROM public.people'],
    ['SELECT count(*) FROM (SELECT * FROM inner_t) sub', 'SELECT FROM'],
    ['SELECT (SELECT max(id) FROM other) AS m FROM people', 'SELECT FROM people'],
    ['SELECT 1', 'SELECT'],
    ['  -- who\n/* lists */ SELECT a FROM "Quoted People"', 'SELECT FROM Quoted People'],
    ['SELECT a FROM `db`.`people`', 'SELECT FROM db.people', 'mysql'],
    ['INSERT INTO people (name) VALUES ($1)', 'INSERT INTO people'],
    ['insert ignore into people values (1)', 'INSERT INTO people', 'mysql'],
    ['REPLACE INTO people VALUES (1)', 'REPLACE INTO people', 'mysql'],
    ['UPDATE people SET name = ? WHERE id = ?', 'UPDATE people'],
    ['UPDATE ONLY people SET a = 1', 'UPDATE people'],
    ['DELETE FROM people WHERE id = 3', 'DELETE FROM people'],
    ['WITH recent AS (SELECT * FROM orders) SELECT * FROM recent', 'SELECT FROM recent'],
    ['CREATE TABLE IF NOT EXISTS people (id int)', 'CREATE TABLE people'],
    ['create unique index concurrently people_name on people (name)', 'CREATE INDEX people_name'],
    ['DROP TABLE people', 'DROP TABLE people'],
    ['TRUNCATE TABLE people', 'TRUNCATE people'],
    ['CALL refresh_stats(1)', 'CALL refresh_stats'],
    ['BEGIN', 'BEGIN'],
    ['commit', 'COMMIT'],
    ["SELECT 'FROM x' AS a FROM real_table", 'SELECT FROM real_table'],
    ['', ''],
  ];
  for (const [sql, summary, dialect] of cases) {
    it(`${JSON.stringify(sql)} → ${summary || '(empty)'}`, () => {
      expect(summarizeSql(sql, dialect ?? 'postgresql')).toBe(summary);
    });
  }
});

describe('statement sanitizing', () => {
  it('replaces string and number literals with ?', () => {
    expect(sanitizeSql("SELECT * FROM people WHERE name = 'Ann' AND age > 42 AND score < 1.5e3", 'postgresql')).toBe(
      'SELECT * FROM people WHERE name = ? AND age > ? AND score < ?',
    );
  });
  it('keeps placeholders, names with digits, keywords and casts', () => {
    expect(sanitizeSql('SELECT t1.a FROM t1 WHERE b = $1 AND c IS NULL AND d = TRUE AND e = $2::int', 'postgresql')).toBe(
      'SELECT t1.a FROM t1 WHERE b = $1 AND c IS NULL AND d = TRUE AND e = $2::int',
    );
    expect(sanitizeSql('SELECT * FROM t WHERE a = ? AND b = :name AND c = @v', 'mysql')).toBe(
      'SELECT * FROM t WHERE a = ? AND b = :name AND c = @v',
    );
  });
  it('handles escaped quotes without leaking the rest of the string', () => {
    expect(sanitizeSql("SELECT 'it''s a secret' FROM t", 'postgresql')).toBe('SELECT ? FROM t');
    expect(sanitizeSql("SELECT 'it\\'s a secret' FROM t", 'mysql')).toBe('SELECT ? FROM t');
    expect(sanitizeSql("SELECT E'a\\'b' FROM t", 'postgresql')).toBe('SELECT ? FROM t');
  });
  it('treats PostgreSQL dollar quotes as strings, double quotes as names', () => {
    expect(sanitizeSql('SELECT $$secret; \'x\'$$, $tag$more$tag$ FROM "T1"', 'postgresql')).toBe('SELECT ?, ? FROM "T1"');
  });
  it('treats MySQL double quotes as strings and backticks as names', () => {
    expect(sanitizeSql('SELECT `col1` FROM t WHERE a = "secret"', 'mysql')).toBe('SELECT `col1` FROM t WHERE a = ?');
  });
  it('replaces hex and bit literals', () => {
    expect(sanitizeSql("SELECT 0xFF, X'0a', B'01' FROM t", 'mysql')).toBe('SELECT ?, ?, ? FROM t');
  });
  it('keeps comments and does not read quotes inside them', () => {
    expect(sanitizeSql("SELECT a -- don't\nFROM t WHERE b = 'x'", 'postgresql')).toBe("SELECT a -- don't\nFROM t WHERE b = ?");
    expect(sanitizeSql("/* it's */ SELECT 1", 'sqlite')).toBe("/* it's */ SELECT ?");
  });
  it('survives unterminated quotes and comments', () => {
    expect(sanitizeSql("SELECT 'open", 'postgresql')).toBe('SELECT ?');
    expect(sanitizeSql('SELECT 1 /* open', 'postgresql')).toBe('SELECT ? /* open');
    expect(summarizeSql('SELECT * FROM "open', 'postgresql')).toBe('SELECT FROM open');
  });
});

describe('db.statement capture (sqlStatementCapture)', () => {
  const SQL = "SELECT * FROM people WHERE name = 'Ann'";
  for (const [capture, statement] of [
    ['sanitized', 'SELECT * FROM people WHERE name = ?'],
    ['full', SQL],
    ['off', undefined],
  ] as const) {
    it(`${capture}: ${statement ?? 'no statement'}`, async () => {
      const { Agent } = await import('../src/agent.js');
      const { readConfig } = await import('../src/config/read.js');
      const { runWithActive } = await import('../src/trace/context.js');
      const { startDbSpan } = await import('../src/instrument/sql/db-span.js');
      const agent = new Agent(readConfig({ active: false, sqlStatementCapture: capture }, {}));
      const tx = agent.tracer.startTransaction('t', 'request');
      const span = runWithActive(tx, () => startDbSpan(agent, 'postgresql', SQL, { instance: 'test', user: null, address: null, port: null }))!;
      expect(span.name).toBe('SELECT FROM people');
      expect(span.db?.statement).toBe(statement);
    });
  }
});
