import { describe, expect, it } from 'vitest';
import { COLUMNS, SCHEMA_VERSION } from '../../functions/lib/archive/schema';
import { SCHEMA_HISTORY, evolutionProblems, typeExtends, type SchemaVersionRecord } from '../../functions/lib/archive/schema-history';

const current = COLUMNS.map((c) => [c.name, c.type] as const);

function history(...versions: (readonly (readonly [string, string])[])[]): SchemaVersionRecord[] {
  return versions.map((columns, i) => ({ version: i + 1, columns }));
}

const v1 = [
  ['id', 'string'],
  ['agents', 'array<struct<agent_id:string>>'],
] as const;

describe('schema evolution rules', () => {
  it('hold for schema.ts: the current columns are the last recorded version, and SCHEMA_VERSION is its number', () => {
    expect(evolutionProblems(SCHEMA_HISTORY, current, SCHEMA_VERSION)).toEqual([]);
    expect(SCHEMA_HISTORY.at(-1)?.version).toBe(SCHEMA_VERSION);
  });

  it('accept appended columns and struct fields appended at the end, recorded as the next version', () => {
    const v2 = [...v1, ['score', 'double']] as const;
    const v3 = [v2[0], ['agents', 'array<struct<agent_id:string,agent_team:string>>'], v2[2]] as const;
    expect(evolutionProblems(history(v1, v2, v3), v3, 3)).toEqual([]);
  });

  it('refuse a column appended without a new version, or a version without SCHEMA_VERSION', () => {
    const v2 = [...v1, ['score', 'double']] as const;
    expect(evolutionProblems(history(v1), v2, 1)).toEqual([
      'the columns differ from version 1: record them as version 2 in schema-history.ts and set SCHEMA_VERSION to 2',
    ]);
    expect(evolutionProblems(history(v1, v2), v2, 1)).toEqual([
      'SCHEMA_VERSION is 1 but the columns are version 2; set SCHEMA_VERSION to 2',
    ]);
  });

  it('refuse renamed, retyped, reordered and removed columns', () => {
    expect(evolutionProblems(history(v1), [['conversation_id', 'string'], v1[1]], 1)).toEqual([
      'the current columns: column 1 was id and is now conversation_id (columns are never renamed, moved or removed)',
    ]);
    expect(evolutionProblems(history(v1), [['id', 'bigint'], v1[1]], 1)).toEqual([
      'the current columns: column id changed type from string to bigint (a change of meaning is a new column)',
    ]);
    expect(evolutionProblems(history(v1), [v1[0]], 1)).toEqual(['the current columns: column agents was removed (columns are never removed)']);
    expect(evolutionProblems(history(v1), [['id', 'string'], ['agents', 'array<struct<agent_name:string,agent_id:string>>']], 1)).toEqual([
      'the current columns: column agents changed type from array<struct<agent_id:string>> to array<struct<agent_name:string,agent_id:string>> (a change of meaning is a new column)',
    ]);
  });

  it('refuse a history that skips a version or records no change', () => {
    expect(evolutionProblems([{ version: 1, columns: v1 }, { version: 3, columns: [...v1, ['x', 'int']] }], [...v1, ['x', 'int']], 3)).toEqual([
      'schema history: version 3 is entry 2; versions are 1, 2, 3, ...',
    ]);
    expect(evolutionProblems(history(v1, v1), v1, 2)).toEqual(['version 2 records no change; remove it']);
  });
});

describe('typeExtends', () => {
  it.each([
    ['string', 'string', true],
    ['int', 'bigint', false],
    ['struct<a:int>', 'struct<a:int,b:string>', true],
    ['struct<a:int,b:string>', 'struct<a:int>', false],
    ['struct<a:int>', 'struct<b:int,a:int>', false],
    ['array<struct<a:array<struct<x:int>>>>', 'array<struct<a:array<struct<x:int,y:int>>>>', true],
    ['map<string,string>', 'map<string,struct<a:int>>', false],
    ['array<string>', 'string', false],
  ])('%s -> %s: %s', (before, after, expected) => {
    expect(typeExtends(before, after)).toBe(expected);
  });
});
