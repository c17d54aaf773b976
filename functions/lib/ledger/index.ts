/**
 * The window ledger's public surface: entries and their transitions, the S3 and memory ledgers, the
 * stream head (migration, read watermark, backfill marking), the per-stream lease, and the planner.
 * See docs/ledger.md.
 */
export * from './entry';
export * from './errors';
export * from './head';
export * from './keys';
export * from './lease';
export * from './ledger';
export * from './objects';
export * from './planner';
