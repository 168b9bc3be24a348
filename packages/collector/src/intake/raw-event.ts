/**
 * The event's own JSON text in an intake line, when the line is exactly `{"kind":{…}}`: the
 * parser read the whole line, the object has that one key, and no second member of the same
 * name can hide in the text (no other `"kind"` after the prefix, no `\u` escapes that could
 * spell it). Then the text between the prefix and the last `}` is the event object, and its
 * text can be stored instead of serialising the parsed event again. Null otherwise (the
 * caller serialises the parsed event, as for any line).
 */
export function rawEventText(text: string, kind: string): string | null {
  const prefix = `{"${kind}":{`;
  if (!text.startsWith(prefix) || !text.endsWith('}}')) return null;
  if (text.includes(`"${kind}"`, prefix.length) || text.includes('\\u')) return null;
  return text.slice(prefix.length - 1, -1);
}
