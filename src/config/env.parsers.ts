/**
 * Small, strict readers for environment variables. Each one records a problem
 * that names the variable and says what to fix, instead of throwing on the
 * first one, so a bad deployment learns everything that is wrong at once.
 */
export type Env = Record<string, string | undefined>;

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const raw = this.raw(name);
    if (raw === '') {
      this.problems.push(
        `${name} must not be empty (unset it to use "${fallback}")`,
      );
      return fallback;
    }
    return raw ?? fallback;
  }

  /** Empty counts as unset here: `PRODUCE_API_KEY=` in a .env file means "off". */
  optionalString(name: string): string | undefined {
    const raw = this.raw(name);
    return raw === '' ? undefined : raw;
  }

  /** Unset or empty: undefined (the setting then comes from elsewhere, e.g. the broker). */
  optionalInt(name: string, min: number, max: number): number | undefined {
    const raw = this.raw(name);
    return raw === undefined || raw === ''
      ? undefined
      : this.int(name, min, min, max);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.raw(name);
    if (raw === undefined) {
      return fallback;
    }
    if (!/^-?\d+$/.test(raw)) {
      this.problems.push(
        `${name} must be a whole number between ${min} and ${max}, got "${raw}"`,
      );
      return fallback;
    }
    const value = Number(raw);
    if (value < min || value > max) {
      this.problems.push(
        `${name} must be between ${min} and ${max}, got ${value}`,
      );
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name)?.toLowerCase();
    if (raw === undefined) {
      return fallback;
    }
    if (raw === 'true' || raw === '1') {
      return true;
    }
    if (raw === 'false' || raw === '0') {
      return false;
    }
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  list(name: string, fallback: readonly string[]): string[] {
    const raw = this.raw(name);
    if (raw === undefined) {
      return [...fallback];
    }
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
    if (items.length === 0) {
      this.problems.push(
        `${name} must be a comma-separated list with at least one entry (unset it to use "${fallback.join(',')}")`,
      );
      return [...fallback];
    }
    return items;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.raw(name);
    if (raw === undefined) {
      return fallback;
    }
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(
        `${name} must be one of ${allowed.join(', ')}, got "${raw}"`,
      );
      return fallback;
    }
    return raw as T;
  }

  /** Unset or empty: undefined (the default then depends on another setting). */
  optionalOneOf<T extends string>(
    name: string,
    allowed: readonly T[],
  ): T | undefined {
    const raw = this.raw(name);
    return raw === undefined || raw === ''
      ? undefined
      : this.oneOf(name, allowed[0], allowed);
  }

  check(condition: boolean, problem: string): void {
    if (!condition) {
      this.problems.push(problem);
    }
  }

  private raw(name: string): string | undefined {
    return this.env[name]?.trim();
  }
}
