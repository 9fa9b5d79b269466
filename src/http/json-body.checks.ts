/** Keys that would reach an object's prototype if copied by a careless merge. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Why a parsed JSON body is refused before any route sees it, or null:
 * nesting deeper than `maxDepth` (a recursive walk over it would overflow
 * the stack). Iterative, so a hostile body cannot overflow the stack here.
 */
export function jsonDepthProblem(
  body: unknown,
  maxDepth: number,
): string | null {
  return firstProblem(body, (_key, value, depth) =>
    depth > maxDepth && value !== null && typeof value === 'object'
      ? `request body nests objects or arrays deeper than ${maxDepth} levels (HTTP_MAX_JSON_DEPTH)`
      : null,
  );
}

/**
 * For bodies that class-transformer copies into DTOs (the global
 * ValidationPipe): a `__proto__`, `constructor` or `prototype` key anywhere
 * would reach the copy's prototype. POST /produce reads its body without
 * copying (ProduceBody), so there such keys in a payload are plain data.
 */
export function prototypeKeyProblem(body: unknown): string | null {
  return firstProblem(body, (key) =>
    key !== undefined && FORBIDDEN_KEYS.has(key)
      ? `property ${key} should not exist`
      : null,
  );
}

/**
 * The first problem `check` finds, visiting every value with the key that
 * led to it and its depth (the body is 1), without recursion.
 */
function firstProblem(
  body: unknown,
  check: (
    key: string | undefined,
    value: unknown,
    depth: number,
  ) => string | null,
): string | null {
  const stack: { value: unknown; key?: string; depth: number }[] = [
    { value: body, depth: 1 },
  ];
  while (stack.length > 0) {
    const { value, key, depth } = stack.pop()!;
    const problem = check(key, value, depth);
    if (problem) return problem;
    if (value !== null && typeof value === 'object') {
      for (const child of Object.keys(value)) {
        stack.push({
          value: (value as Record<string, unknown>)[child],
          key: child,
          depth: depth + 1,
        });
      }
    }
  }
  return null;
}
