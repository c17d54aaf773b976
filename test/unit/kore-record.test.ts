import { describe, expect, it } from 'vitest';
import { conversationIdOf, conversationStartOf, recordKey } from '../../functions/lib/kore/record';

describe('record helpers', () => {
  it('reads the spaced keys of the samples and the camelCase keys of the field table', () => {
    expect(conversationIdOf({ 'Conversation ID': 'c-1' })).toBe('c-1');
    expect(conversationIdOf({ conversationId: 'c-2' })).toBe('c-2');
    expect(conversationStartOf({ 'Conversation Start Time': '2026-05-02T13:01:34.000Z' })?.toISOString()).toBe('2026-05-02T13:01:34.000Z');
    expect(conversationStartOf({ conversationStartTime: '2026-05-02T13:01:34.000Z' })?.toISOString()).toBe('2026-05-02T13:01:34.000Z');
  });

  it('has no id or start for missing, empty or malformed values', () => {
    expect(conversationIdOf({})).toBeUndefined();
    expect(conversationIdOf({ 'Conversation ID': '' })).toBeUndefined();
    expect(conversationIdOf({ 'Conversation ID': 42 })).toBeUndefined();
    expect(conversationStartOf({})).toBeUndefined();
    expect(conversationStartOf({ 'Conversation Start Time': 'soon' })).toBeUndefined();
  });

  it('keys by id, and by a content hash without one', () => {
    expect(recordKey({ 'Conversation ID': 'c-1', x: 1 })).toBe(recordKey({ 'Conversation ID': 'c-1', x: 2 }));
    const a = recordKey({ x: 1 });
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(recordKey({ x: 1 })).toBe(a);
    expect(recordKey({ x: 2 })).not.toBe(a);
    // An id can never collide with a hash key.
    expect(recordKey({ 'Conversation ID': a.slice(3) })).not.toBe(a);
  });
});
