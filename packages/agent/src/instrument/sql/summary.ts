/**
 * A statement's short name for the span: `SELECT FROM people`, `INSERT INTO people`,
 * `UPDATE people`, `DELETE FROM people`, `CREATE TABLE people`, `CALL refresh`, or the
 * first keyword alone (`BEGIN`). Only the text outside parentheses is read, so subqueries
 * and CTE bodies do not decide the name.
 */
import { Tok, tokenize, type SqlDialect, type Token } from './tokens.js';

function unquote(quoted: string): string {
  const open = quoted[0];
  const close = open === '[' ? ']' : open;
  return quoted.length > 1 && quoted[quoted.length - 1] === close ? quoted.slice(1, -1) : quoted.slice(1);
}

/** A table name as written (`public.people`), with identifier quotes dropped. */
function readName(sql: string, tokens: Token[], i: number): string | null {
  let name = '';
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === Tok.Word) name += sql.slice(t.start, t.end);
    else if (t.kind === Tok.QuotedName) name += unquote(sql.slice(t.start, t.end));
    else break;
    const dot = tokens[i + 1];
    if (dot === undefined || dot.kind !== Tok.Punct || sql.charCodeAt(dot.start) !== 46) break;
    name += '.';
    i++;
  }
  return name === '' ? null : name;
}

/** The tokens outside parentheses, without spaces and comments. */
function topLevel(tokens: Token[], sql: string): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === Tok.Space || t.kind === Tok.Comment) continue;
    if (t.kind === Tok.Punct) {
      const c = sql.charCodeAt(t.start);
      if (c === 40) {
        if (depth === 0) out.push(t);
        depth++;
        continue;
      }
      if (c === 41) {
        if (depth > 0) depth--;
        continue;
      }
    }
    if (depth === 0) out.push(t);
  }
  return out;
}

function word(sql: string, t: Token | undefined): string {
  return t !== undefined && t.kind === Tok.Word ? sql.slice(t.start, t.end).toUpperCase() : '';
}

/** The index of the first top-level token after `from` that is the keyword `kw`, or -1. */
function findWord(sql: string, tokens: Token[], from: number, kw: string): number {
  for (let i = from; i < tokens.length; i++) if (word(sql, tokens[i]) === kw) return i;
  return -1;
}

const OBJECT_KINDS = new Set(['TABLE', 'INDEX', 'VIEW', 'SCHEMA', 'DATABASE', 'SEQUENCE', 'FUNCTION', 'PROCEDURE', 'TRIGGER', 'TYPE', 'EXTENSION']);
const SKIPPABLE = new Set(['IF', 'NOT', 'EXISTS', 'OR', 'REPLACE', 'TEMP', 'TEMPORARY', 'UNIQUE', 'CONCURRENTLY', 'UNLOGGED', 'MATERIALIZED', 'ONLY', 'LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'QUICK']);

function withName(sql: string, tokens: Token[], verb: string, at: number): string {
  while (at < tokens.length && SKIPPABLE.has(word(sql, tokens[at]))) at++;
  const name = readName(sql, tokens, at);
  return name === null ? verb : `${verb} ${name}`;
}

function summarizeTokens(sql: string, all: Token[]): string {
  const tokens = topLevel(all, sql);
  let first = 0;
  let verb = word(sql, tokens[0]);
  if (verb === 'WITH') {
    // The statement after the CTEs names it: WITH x AS (…) SELECT … FROM x.
    for (let i = 1; i < tokens.length; i++) {
      const w = word(sql, tokens[i]);
      if (w === 'SELECT' || w === 'INSERT' || w === 'UPDATE' || w === 'DELETE') {
        first = i;
        verb = w;
        break;
      }
    }
  }
  switch (verb) {
    case 'SELECT': {
      const from = findWord(sql, tokens, first + 1, 'FROM');
      return from === -1 ? 'SELECT' : withName(sql, tokens, 'SELECT FROM', from + 1);
    }
    case 'INSERT':
    case 'REPLACE': {
      const into = findWord(sql, tokens, first + 1, 'INTO');
      return into === -1 ? withName(sql, tokens, verb, first + 1) : withName(sql, tokens, `${verb} INTO`, into + 1);
    }
    case 'DELETE': {
      const from = findWord(sql, tokens, first + 1, 'FROM');
      return from === -1 ? 'DELETE' : withName(sql, tokens, 'DELETE FROM', from + 1);
    }
    case 'UPDATE':
      return withName(sql, tokens, 'UPDATE', first + 1);
    case 'CALL':
    case 'EXEC':
    case 'EXECUTE':
    case 'TRUNCATE':
      return withName(sql, tokens, verb, first + 1 + (word(sql, tokens[first + 1]) === 'TABLE' ? 1 : 0));
    case 'CREATE':
    case 'DROP':
    case 'ALTER': {
      let i = first + 1;
      while (i < tokens.length && SKIPPABLE.has(word(sql, tokens[i]))) i++;
      const kind = word(sql, tokens[i]);
      return OBJECT_KINDS.has(kind) ? withName(sql, tokens, `${verb} ${kind}`, i + 1) : verb;
    }
    case '':
      return tokens.length === 0 ? '' : sql.slice(tokens[0]!.start, tokens[0]!.end);
    default:
      return verb;
  }
}

export function summarizeSql(sql: string, dialect: SqlDialect, tokens: Token[] = tokenize(sql, dialect)): string {
  return summarizeTokens(sql, tokens);
}
