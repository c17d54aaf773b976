import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../functions/lib/archive/manifest';
import { parseHead } from '../../functions/lib/ledger/codec';

// zod/mini has no messages of its own ("Invalid input"); functions/lib/validation.ts sets zod's English ones, the
// messages the function showed when it used `zod`. These are the exact lines an operator reads for a bad object.
describe('messages of a stored object that fails validation', () => {
  const head = { ledgerVersion: 1, streamId: 's1', version: 1, updatedAt: '2026-11-20T11:00:00.000Z' };

  it("name each field with zod's English message, the project's own rules and an unknown key", () => {
    const text = JSON.stringify({ ...head, version: 0, settledBefore: '2026-11-20T10:30:00.000Z', extra: true });
    expect(() => parseHead(text, 's3://b/head.json', 's1')).toThrow(
      'ledger head s3://b/head.json is corrupt: settledBefore must be a whole UTC hour; version Too small: expected number to be >=1; (root) Unrecognized key: "extra"',
    );
  });

  it('say what type was expected and what was received', () => {
    const text = JSON.stringify({ ...head, ledgerVersion: 2, version: 1.5, updatedAt: 5 });
    expect(() => parseHead(text, 'k', 's1')).toThrow(
      'ledger head k is corrupt: ledgerVersion Invalid input: expected 1; version Invalid input: expected int, received number; updatedAt Invalid input: expected string, received number',
    );
  });

  it('stop at three issues', () => {
    expect(() => parseManifest('{"manifestVersion":2}', 'src')).toThrow(
      'src is not a valid manifest: schemaVersion Invalid input: expected number, received undefined; streamId Invalid input: expected string, received undefined; window Invalid input: expected object, received undefined',
    );
  });
});
