import { describe, expect, it } from 'vitest';
import { normalizeContact } from '../../functions/lib/archive/normalize';
import { apiContact } from '../support/contacts';
import { conversationIdOf, conversationStartOf, recordKey } from '../../functions/lib/kore/record';

describe('record helpers', () => {
  it('reads the spaced keys of the samples and the camelCase keys of the field table', () => {
    expect(conversationIdOf({ 'Conversation ID': 'c-1' })).toBe('c-1');
    expect(conversationIdOf({ conversationId: 'c-2' })).toBe('c-2');
    expect(conversationStartOf({ 'Conversation Start Time': '2026-05-02T13:01:34.000Z' })?.toISOString()).toBe('2026-05-02T13:01:34.000Z');
    expect(conversationStartOf({ conversationStartTime: '2026-05-02T13:01:34.000Z' })?.toISOString()).toBe('2026-05-02T13:01:34.000Z');
  });

  it('matches keys as the normalizer does, so the client and the archive agree on a contact id', () => {
    const raw = { conversation_id: 'c-3', conversation_start_time: '2026-05-02T13:01:34.000Z' };
    expect(conversationIdOf(raw)).toBe('c-3');
    expect(conversationStartOf(raw)?.toISOString()).toBe('2026-05-02T13:01:34.000Z');
    const normalized = normalizeContact(apiContact(raw), {
      streamId: 'st-1',
      window: { start: new Date('2026-05-02T13:00:00Z'), end: new Date('2026-05-02T14:00:00Z') },
      runId: 'run-1',
      archivedAt: new Date('2026-05-02T14:05:00Z'),
    });
    expect(normalized.conversationId).toBe(conversationIdOf(raw));
  });

  it('has no id or start for missing, empty or malformed values', () => {
    expect(conversationIdOf({})).toBeUndefined();
    expect(conversationIdOf({ 'Conversation ID': '' })).toBeUndefined();
    expect(conversationIdOf({ 'Conversation ID': 42 })).toBeUndefined();
    expect(conversationStartOf({})).toBeUndefined();
    expect(conversationStartOf({ 'Conversation Start Time': 'soon' })).toBeUndefined();
  });

  it('keys by id, and by a content hash without one', () => {
    expect(recordKey(apiContact({ 'Conversation ID': 'c-1', x: 1 }))).toBe(recordKey(apiContact({ 'Conversation ID': 'c-1', x: 2 })));
    const a = recordKey(apiContact({ x: 1 }));
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(recordKey(apiContact({ x: 1 }))).toBe(a);
    expect(recordKey(apiContact({ x: 2 }))).not.toBe(a);
    // The exact text decides: the same value sent with other spacing is another record.
    expect(recordKey(apiContact('{ "x": 1 }'))).not.toBe(a);
    // An id can never collide with a hash key.
    expect(recordKey(apiContact({ 'Conversation ID': a.slice(3) }))).not.toBe(a);
  });
});
