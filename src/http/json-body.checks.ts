/** Keys that would reach an object's prototype if copied by a careless merge. */
export const FORBIDDEN_JSON_KEYS = ['__proto__', 'constructor', 'prototype'];
const FORBIDDEN_KEYS = new Set(FORBIDDEN_JSON_KEYS);

/**
 * Why a parsed JSON body is refused before validation runs, or null: nesting
 * deeper than `maxDepth` (class-transformer recurses and would overflow the
 * stack), or a prototype-polluting key anywhere. Iterative, so a hostile body
 * cannot overflow the stack here either.
 */
export function jsonBodyProblem(
  body: unknown,
  maxDepth: number,
): string | null {
  const stack: { value: unknown; depth: number }[] = [
    { value: body, depth: 1 },
  ];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (value === null || typeof value !== 'object') {
      continue;
    }
    if (depth > maxDepth) {
      return `request body nests objects or arrays deeper than ${maxDepth} levels (HTTP_MAX_JSON_DEPTH)`;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        return `property ${key} should not exist`;
      }
      stack.push({
        value: (value as Record<string, unknown>)[key],
        depth: depth + 1,
      });
    }
  }
  return null;
}
