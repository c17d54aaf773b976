import { Writable } from 'node:stream';

/** A writable that keeps what was written, optionally posing as a terminal (`isTTY`). */
export function captureStream(options: { tty?: boolean; columns?: number } = {}): Writable & {
  text: () => string;
  isTTY?: boolean;
  columns?: number;
} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, {
    text: () => chunks.join(''),
    ...(options.tty ? { isTTY: true, columns: options.columns ?? 160, cursorTo: () => true, clearLine: () => true, moveCursor: () => true } : {}),
  });
}
