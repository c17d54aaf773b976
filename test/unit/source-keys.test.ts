import { describe, expect, it } from 'vitest';
import { KeyScope } from '../../functions/lib/archive/source-keys';

function scopeOf(...spellings: string[]) {
  const scope = new KeyScope();
  return { scope, keys: spellings.map((s) => scope.declare(s)) };
}

describe('KeyScope', () => {
  it('shares the spellings of one form across every key declared with it', () => {
    const { keys } = scopeOf('Conversation ID', 'conversationId', 'Language');
    expect(keys[0]).toEqual({ form: 'conversationid', spellings: ['Conversation ID', 'conversationId'] });
    expect(keys[1]?.spellings).toBe(keys[0]?.spellings);
    expect(keys[2]).toEqual({ form: 'language', spellings: ['Language'] });
  });

  it('reads exact spellings first, then the first loosely spelled key of the object', () => {
    const { scope, keys } = scopeOf('Conversation ID');
    const [id] = keys as [ReturnType<KeyScope['declare']>];
    const unknown = new Set<string>();
    expect(scope.view({ conversation_id: 'loose-1', CONVERSATIONID: 'loose-2' }, '', unknown).get(id)).toBe('loose-1');
    expect(scope.view({ conversation_id: 'loose', 'Conversation ID': 'exact' }, '', unknown).get(id)).toBe('exact');
    expect(scope.view({ 'Conversation ID': null }, '', unknown).get(id)).toBeNull();
    expect(scope.view({}, '', unknown).get(id)).toBeUndefined();
    expect(unknown.size).toBe(0);
  });

  it('reports the keys it does not know under the prefix, and never reads inherited names', () => {
    const { scope, keys } = scopeOf('name', 'constructor');
    const unknown = new Set<string>();
    const view = scope.view(JSON.parse('{"name": "n", "Other Key": 1, "__proto__": 2}') as Record<string, unknown>, 'agents[].', unknown);
    expect(view.first(keys)).toBe('n');
    expect(view.get(keys[1] as ReturnType<KeyScope['declare']>)).toBeUndefined();
    expect([...unknown]).toEqual(['agents[].Other Key', 'agents[].__proto__']);
  });
});
