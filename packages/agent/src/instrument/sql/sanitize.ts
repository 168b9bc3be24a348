/**
 * Literals out of a statement: every string and number becomes `?`, so a span shows the
 * shape of the query without the data in it. Names, keywords (TRUE, NULL), placeholders
 * (`$1`, `?`) and comments are kept as written.
 */
import { Tok, tokenize, type SqlDialect, type Token } from './tokens.js';

export function sanitizeSql(sql: string, dialect: SqlDialect, tokens: Token[] = tokenize(sql, dialect)): string {
  let out = '';
  let copied = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== Tok.String && t.kind !== Tok.Number) continue;
    out += sql.slice(copied, t.start) + '?';
    copied = t.end;
  }
  return copied === 0 ? sql : out + sql.slice(copied);
}
