import { Lru } from "../util/lru.js";

/**
 * Failed sign-ins counted per client address and per email address in a fixed window:
 * guessing is slowed per source and per account, in bounded memory.
 */
export class SignInLimiter {
  private readonly failures = new Lru<string, { n: number; since: number }>(10_000);

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 15 * 60_000,
  ) {}

  /** True while `key` may try again at `now`. */
  allows(key: string, now: number): boolean {
    const f = this.failures.get(key);
    return !f || now - f.since > this.windowMs || f.n < this.maxFailures;
  }

  fail(key: string, now: number): void {
    const f = this.failures.get(key);
    if (!f || now - f.since > this.windowMs) this.failures.set(key, { n: 1, since: now });
    else f.n += 1;
  }

  clear(key: string): void {
    this.failures.set(key, { n: 0, since: 0 });
  }
}
