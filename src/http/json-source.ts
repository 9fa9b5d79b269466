/**
 * The source text of one top-level member's value in a JSON object text, as
 * the client wrote it (the last one when the name repeats, the one
 * JSON.parse keeps), or undefined when the member is absent.
 *
 * Why: JSON.parse then JSON.stringify changes what a client sent (integers
 * past 2^53 lose digits, 1.0 becomes 1, escapes are rewritten). Carrying the
 * source text keeps a payload byte for byte. `text` must be valid JSON (it
 * has been parsed already); the scan is linear and never recursive.
 */
export function memberSource(text: string, name: string): string | undefined {
  let found: string | undefined;
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return undefined;
  i = skipSpace(text, i + 1);
  while (i < text.length && text[i] !== '}') {
    const nameEnd = endOfString(text, i);
    const memberName = JSON.parse(text.slice(i, nameEnd)) as string;
    i = skipSpace(text, nameEnd);
    i = skipSpace(text, i + 1); // the ':'
    const valueEnd = endOfValue(text, i);
    if (memberName === name) found = text.slice(i, valueEnd);
    i = skipSpace(text, valueEnd);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return found;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  return i;
}

/** `i` is at a string's opening quote; returns the index after its closing one. */
function endOfString(text: string, i: number): number {
  i++;
  while (i < text.length && text[i] !== '"') {
    i += text[i] === '\\' ? 2 : 1;
  }
  return i + 1;
}

/** The index after the JSON value that starts at `i`. */
function endOfValue(text: string, i: number): number {
  if (text[i] === '"') return endOfString(text, i);
  if (text[i] !== '{' && text[i] !== '[') {
    // A number, true, false or null: runs until a delimiter.
    while (i < text.length && !',}] \t\n\r'.includes(text[i])) i++;
    return i;
  }
  let depth = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = endOfString(text, i);
      continue;
    }
    if (c === '{' || c === '[') depth++;
    if (c === '}' || c === ']') depth--;
    i++;
    if (depth === 0) return i;
  }
  return i;
}
