import { describe, expect, it } from 'vitest';
import { LineBatch } from '../../functions/lib/archive/line-batch';

/** Adds every line, collecting the batches handed on, then the rest. */
function batchesOf(batch: LineBatch, lines: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const line of lines) {
    const full = batch.add(line);
    if (full !== undefined) out.push(Buffer.from(full));
  }
  const rest = batch.take();
  if (rest !== undefined) out.push(rest);
  return out;
}

describe('LineBatch', () => {
  it('encodes each line and a newline as UTF-8, byte for byte, across batches', () => {
    const lines = ['{"a":1}', '{"name":"Lucas Müller","note":"customer’s"}', '{"emoji":"😀 \\u2028"}', '', 'x'.repeat(100)];
    const batches = batchesOf(new LineBatch(64), lines);
    expect(batches.length).toBeGreaterThan(1);
    expect(Buffer.concat(batches).toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(Buffer.concat(batches)).toEqual(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'));
  });

  it('hands on a batch only when the next line may not fit, and gives a longer line a buffer of its own', () => {
    const batch = new LineBatch(32);
    expect(batch.add('ab')).toBeUndefined(); // 2 units need at most 7 bytes
    expect(batch.add('cd')).toBeUndefined();
    const full = batch.add('😀'.repeat(40)); // 80 units: more than the batch holds
    expect(full?.toString('utf8')).toBe('ab\ncd\n');
    expect(batch.take()?.toString('utf8')).toBe(`${'😀'.repeat(40)}\n`);
    expect(batch.take()).toBeUndefined();
  });

  it('never writes into a batch it has handed on', () => {
    const batch = new LineBatch(16);
    batch.add('first');
    const handed = batch.add('second line that does not fit');
    const copy = Buffer.from(handed ?? Buffer.alloc(0));
    batch.add('third');
    batch.take();
    expect(handed).toEqual(copy);
    expect(copy.toString('utf8')).toBe('first\n');
  });
});
