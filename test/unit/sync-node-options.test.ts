/**
 * The function's NODE_OPTIONS by memory setting (infra/sync-bundle.ts): a larger young generation only where V8's own
 * choice is smaller than the one measured to pay, never a cap on a larger one, and never source maps at start.
 */
import { describe, expect, it } from 'vitest';
import { lambdaHeap } from '../../infra/lambda-heap';
import { MIN_SEMI_SPACE_MB, syncNodeOptions, syncSemiSpaceMb } from '../../infra/sync-bundle';

describe('syncNodeOptions', () => {
  it('raises the semi-space to the measured size where V8 would give less', () => {
    for (const memoryMb of [128, 256, 512]) expect(syncNodeOptions(memoryMb)).toBe(`--max-semi-space-size=${MIN_SEMI_SPACE_MB}`);
  });

  it('sets nothing where V8 gives as much or more (the flag would cap it)', () => {
    for (const memoryMb of [513, 1024, 1769, 3008, 10_240]) {
      expect(lambdaHeap(memoryMb).semiSpaceMb).toBeGreaterThanOrEqual(MIN_SEMI_SPACE_MB);
      expect(syncNodeOptions(memoryMb)).toBe('');
    }
  });

  it('never turns on source maps at start (they cost every cold start; stacks are mapped on failure)', () => {
    for (const memoryMb of [128, 512, 1769]) expect(syncNodeOptions(memoryMb)).not.toMatch(/source-maps/);
  });

  it('names the semi-space the function runs with (the bench gives the bare minimum the same)', () => {
    expect(syncSemiSpaceMb(512)).toBe(MIN_SEMI_SPACE_MB);
    expect(syncSemiSpaceMb(1769)).toBe(lambdaHeap(1769).semiSpaceMb);
  });
});
