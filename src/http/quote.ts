/**
 * Client input named in an error message, bounded: JSON-quoted (control
 * characters escaped) and cut to `max` characters, so an answer never grows
 * with what was sent and never carries it whole.
 */
export function quoted(text: string, max = 64): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`;
}

/** The first `max` items of a list for an error message, and how many more. */
export function listed(items: readonly unknown[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * False when `text` holds a lone UTF-16 surrogate: it has no UTF-8 form, so
 * writing it to Kafka would silently store U+FFFD instead.
 */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** A name from the request for an error message: as is when short and plain, else quoted(). */
export function named(name: string): string {
  return /^[\w$.-]{1,64}$/.test(name) ? name : quoted(name);
}
