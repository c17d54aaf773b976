import { describe, expect, it } from 'vitest';
import { createProgress, describeWindow } from '../../functions/cli/progress';
import type { WindowOutcome } from '../../functions/lib/sync/sync';
import { captureStream } from '../support/capture';

const archived = (streamId: string, hour: string, records: number): WindowOutcome => ({
  streamId,
  hour,
  status: 'archived',
  refresh: false,
  records,
  objects: 1,
  bytes: records * 3_100,
  pages: Math.ceil(records / 100),
  problems: 0,
});

describe('progress', () => {
  it('describes a stream-hour in human units, refreshes and failures included', () => {
    expect(describeWindow(archived('st-a', '2026-11-20T10', 250), 4_200)).toBe('archived st-a 2026-11-20T10: 250 contacts, 775 KB, 3 pages in 4.2 s');
    expect(describeWindow({ ...archived('st-a', '2026-11-19T10', 1), refresh: true })).toBe('refreshed st-a 2026-11-19T10: 1 contact, 3.1 KB, 1 page');
    expect(describeWindow({ ...archived('st-a', '2026-11-20T11', 0), status: 'failed', error: 'KoreApiError: 403' })).toBe(
      'failed st-a 2026-11-20T11: KoreApiError: 403',
    );
  });

  it('prints one plain line per stream-hour when not on a terminal, and nothing when quiet', () => {
    let now = 0;
    const out = captureStream();
    const plain = createProgress({ out, streams: ['st-a'], now: () => now });
    plain.page('st-a', 100);
    now = 1_500;
    plain.window(archived('st-a', '2026-11-20T10', 100));
    plain.stop();
    expect(out.text()).toBe('archived st-a 2026-11-20T10: 100 contacts, 310 KB, 1 page in 1.5 s\n');

    const silent = captureStream();
    const quiet = createProgress({ out: silent, streams: ['st-a'], now: () => 0, quiet: true });
    quiet.window(archived('st-a', '2026-11-20T10', 1));
    expect(silent.text()).toBe('');
  });

  it('on a terminal, counts hours per stream without a bar when the total is unknown (scheduled runs)', () => {
    let now = 0;
    const out = captureStream({ tty: true });
    const live = createProgress({ out, streams: ['st-a', 'st-bb'], now: () => now });
    now = 30_000;
    live.page('st-a', 100);
    live.retry();
    live.window(archived('st-a', '2026-11-20T10', 100));
    live.stop();
    // eslint-disable-next-line no-control-regex
    const text = out.text().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(text).toContain('st-a  hours done: 1 | 2026-11-20T10 archived, 100 contacts | requests 2.0/min, 1 retry');
    expect(text).toContain('st-bb hours done: 0 | waiting');
    expect(text).not.toMatch(/[░█]/);
  });
});
