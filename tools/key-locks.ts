/**
 * Per-key mutual exclusion inside one process (the local S3's object operations), as a promise chain
 * per key; keys are taken in sorted order so two multi-key holders cannot deadlock. Not for the
 * function: across processes, S3's conditional writes do this job.
 */
export class KeyLocks {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` holding every key in `keys`. */
  async run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    try {
      for (const key of [...new Set(keys)].sort()) releases.push(await this.#acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  async #acquire(key: string): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}
