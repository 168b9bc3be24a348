/**
 * A small SQL scanner, enough to name a statement and to find its literals: it knows
 * quoting (single, double, backtick, PostgreSQL's E'' and dollar quotes), comments, numbers
 * and placeholders, and nothing about grammar. It never throws: an unterminated quote or
 * comment simply runs to the end of the text.
 */
export type SqlDialect = 'postgresql' | 'mysql' | 'sqlite';

export const enum Tok {
  Word,
  /** A quoted identifier: `"name"` (PostgreSQL, SQLite) or `` `name` `` (MySQL, SQLite). */
  QuotedName,
  String,
  Number,
  /** `$1`, `?`, `:name`, `@name`: a bind parameter, already not a literal. */
  Placeholder,
  Comment,
  Space,
  Punct,
}

export interface Token {
  kind: Tok;
  start: number;
  end: number;
}

function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}

function isWordPart(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function skipQuoted(sql: string, i: number, quote: number, backslashEscapes: boolean): number {
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (backslashEscapes && c === 92) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) {
        i += 2; // a doubled quote is an escaped quote
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return n;
}

/** `$tag$ … $tag$` (PostgreSQL); returns -1 when `i` does not start a dollar quote. */
function dollarQuoteEnd(sql: string, i: number): number {
  let j = i + 1;
  while (j < sql.length && sql.charCodeAt(j) !== 36) {
    const c = sql.charCodeAt(j);
    if (!(isWordStart(c) || (j > i + 1 && isDigit(c)))) return -1;
    j++;
  }
  if (j >= sql.length) return -1;
  const tag = sql.slice(i, j + 1);
  const close = sql.indexOf(tag, j + 1);
  return close === -1 ? sql.length : close + tag.length;
}

/** Splits `sql` into tokens (spaces and comments included, so the text can be rebuilt). */
export function tokenize(sql: string, dialect: SqlDialect): Token[] {
  const out: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const start = i;
    const c = sql.charCodeAt(i);
    const next = i + 1 < n ? sql.charCodeAt(i + 1) : 0;
    let kind: Tok;
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      while (i < n && /\s/.test(sql[i]!)) i++;
      kind = Tok.Space;
    } else if ((c === 45 && next === 45) || (c === 35 && dialect === 'mysql')) {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? n : eol;
      kind = Tok.Comment;
    } else if (c === 47 && next === 42) {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
      kind = Tok.Comment;
    } else if (c === 39) {
      // MySQL reads backslash escapes in strings by default; standard SQL does not.
      i = skipQuoted(sql, i + 1, 39, dialect === 'mysql');
      kind = Tok.String;
    } else if ((c === 69 || c === 101) && next === 39 && dialect === 'postgresql') {
      i = skipQuoted(sql, i + 2, 39, true);
      kind = Tok.String;
    } else if ((c === 88 || c === 120 || c === 66 || c === 98 || c === 78 || c === 110) && next === 39) {
      i = skipQuoted(sql, i + 2, 39, false); // X'ff', B'01', N'text'
      kind = Tok.String;
    } else if (c === 34) {
      i = skipQuoted(sql, i + 1, 34, dialect === 'mysql');
      // MySQL (without ANSI_QUOTES) reads "…" as a string; the others as a name.
      kind = dialect === 'mysql' ? Tok.String : Tok.QuotedName;
    } else if (c === 96 || (c === 91 && dialect === 'sqlite')) {
      const close = sql.indexOf(c === 96 ? '`' : ']', i + 1);
      i = close === -1 ? n : close + 1;
      kind = Tok.QuotedName;
    } else if (c === 36 && isDigit(next)) {
      i += 2;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
      kind = Tok.Placeholder;
    } else if (c === 36 && dialect === 'postgresql' && dollarQuoteEnd(sql, i) !== -1) {
      i = dollarQuoteEnd(sql, i);
      kind = Tok.String;
    } else if (c === 63) {
      i++;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
      kind = Tok.Placeholder;
    } else if ((c === 58 || c === 64) && isWordStart(next) && sql.charCodeAt(i - 1) !== 58) {
      i += 2; // :name, @name (but not the `::` of a PostgreSQL cast)
      while (i < n && isWordPart(sql.charCodeAt(i))) i++;
      kind = Tok.Placeholder;
    } else if (c === 48 && (next === 120 || next === 88) && isHexDigit(sql.charCodeAt(i + 2))) {
      i += 2;
      while (i < n && isHexDigit(sql.charCodeAt(i))) i++;
      kind = Tok.Number;
    } else if (isDigit(c) || (c === 46 && isDigit(next))) {
      while (i < n && (isDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 46)) i++;
      const e = sql.charCodeAt(i);
      if (e === 101 || e === 69) {
        const sign = sql.charCodeAt(i + 1);
        const d = sign === 43 || sign === 45 ? i + 2 : i + 1;
        if (isDigit(sql.charCodeAt(d))) {
          i = d;
          while (i < n && isDigit(sql.charCodeAt(i))) i++;
        }
      }
      kind = Tok.Number;
    } else if (isWordStart(c)) {
      while (i < n && isWordPart(sql.charCodeAt(i))) i++;
      kind = Tok.Word;
    } else {
      i++;
      kind = Tok.Punct;
    }
    out.push({ kind, start, end: i });
  }
  return out;
}
