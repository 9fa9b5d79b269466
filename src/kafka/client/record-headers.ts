import type { RecordHeaderValue } from './group-consumer.port.js';

/**
 * Adds one header to a record's header object, the way every adapter hands
 * headers over: the first value as is, a repeated key as an array in order
 * (appended in place: O(1) per header, so 40,000 headers stay cheap), every
 * key an own property (`__proto__` included, as data).
 */
export function addHeader(
  into: Record<string, RecordHeaderValue>,
  key: string,
  value: Buffer | string,
): void {
  const seen = Object.prototype.hasOwnProperty.call(into, key)
    ? into[key]
    : undefined;
  if (Array.isArray(seen)) {
    seen.push(value);
    return;
  }
  const next = seen === undefined ? value : [seen, value];
  if (key === '__proto__') {
    // defineProperty, not assignment: a header named __proto__ stays data.
    Object.defineProperty(into, key, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    into[key] = next;
  }
}
