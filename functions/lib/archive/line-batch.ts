/**
 * JSON lines encoded as UTF-8 straight into buffers outside V8's heap, handed to gzip a batch at a time.
 *
 * Concatenating a batch's lines into one string and writing that made V8 copy every line twice more on its heap (the
 * concatenation flattened, then a Buffer made from it): a fifth of everything the function allocated, each copy
 * filling the young generation, which is 1 MB at the stack's memory setting, so many more collections. Encoding each
 * line into the batch's buffer copies it once, outside the heap (docs/tuning.md, "CPU hot path").
 */

/**
 * Lines are handed to gzip in batches of about this many bytes (a few rows): fewer writes than one per row, and,
 * unlike one string per page, the lines die young instead of surviving into V8's old generation (half the
 * promoted bytes, a 27 MB lower heap peak at 3,000 contacts; docs/tuning.md, "CPU hot path").
 */
export const WRITE_BATCH_BYTES = 256 * 1024;

const NEWLINE = 0x0a;
/** A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair: 2 units, 4 bytes). */
const MAX_BYTES_PER_UNIT = 3;

/** Lines collected into buffers of about `bytes` each; a line longer than that gets a buffer of its own size. */
export class LineBatch {
  #buffer: Buffer | undefined;
  #used = 0;

  constructor(private readonly bytes: number) {}

  /**
   * Adds `line` and a newline. Returns the batch filled so far when the line did not fit in it (write it before
   * the next call's result); undefined otherwise.
   */
  add(line: string): Buffer | undefined {
    const room = line.length * MAX_BYTES_PER_UNIT + 1;
    let full: Buffer | undefined;
    if (this.#buffer !== undefined && this.#used + room > this.#buffer.length) full = this.take();
    // Each batch is a new buffer: the one handed on is read by zlib's thread later.
    const buffer = (this.#buffer ??= Buffer.allocUnsafe(Math.max(this.bytes, room)));
    this.#used += buffer.write(line, this.#used, 'utf8');
    buffer[this.#used++] = NEWLINE;
    return full;
  }

  /** The lines added since the last batch was handed on (undefined when none); the batch starts empty again. */
  take(): Buffer | undefined {
    const buffer = this.#buffer?.subarray(0, this.#used);
    this.#buffer = undefined;
    this.#used = 0;
    return buffer;
  }
}
