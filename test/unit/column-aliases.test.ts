import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/lib/config';
import { ConfigError } from '../../functions/lib/errors';
import { thrownBy } from '../support/errors';

const base = { ARCHIVE_BUCKET: 'b', KORE_SECRET_ID: 'kore/conn', KORE_STREAM_IDS: 'st-1' };

function errorOf(aliases: string): ConfigError {
  return thrownBy(() => loadConfig({ ...base, ARCHIVE_COLUMN_ALIASES: aliases }), ConfigError);
}

describe('ARCHIVE_COLUMN_ALIASES', () => {
  it('is empty when unset', () => {
    expect(loadConfig(base).columnAliases).toEqual({});
  });

  it('reads columns and struct fields, one key or several, frozen', () => {
    const { columnAliases } = loadConfig({
      ...base,
      ARCHIVE_COLUMN_ALIASES: '{"audit_status": ["Audit State", "Audit Phase"], "agents.agent_id": "Agent Key", "metrics.qualification": ["Result"]}',
    });
    expect(columnAliases).toEqual({
      audit_status: ['Audit State', 'Audit Phase'],
      'agents.agent_id': ['Agent Key'],
      'metrics.qualification': ['Result'],
    });
    expect(Object.isFrozen(columnAliases)).toBe(true);
    expect(Object.isFrozen(columnAliases.audit_status)).toBe(true);
  });

  it.each([
    ['{audit_status: 1', 'is not valid JSON'],
    ['["Audit State"]', 'must be a JSON object'],
    ['{"audit_stats": ["Audit State"]}', '"audit_stats" is not a column of the table'],
    ['{"agents.agent_idd": ["Agent Key"]}', '"agents.agent_idd" names no field of column "agents"'],
    ['{"raw": ["Raw"]}', '"raw" is not read from the contact'],
    ['{"run_id": ["Run"]}', '"run_id" is not read from the contact'],
    ['{"configured_intents.l1_topic": ["L1"]}', '"configured_intents.l1_topic" is derived from the contact\'s shape'],
    ['{"generated_intents.kind": ["Kind"]}', '"generated_intents.kind" is derived from the contact\'s shape'],
    ['{"audit_status": []}', '"audit_status" lists no key'],
    ['{"audit_status": [7]}', '"audit_status" lists a key that is not text'],
    ['{"audit_status": ["--"]}', '"audit_status" lists a key that is not text'],
    ['{"audit_status": ["audit_status"]}', '"audit_status": the key "audit_status" is already read by the schema; remove it'],
    ['{"audit_status": ["Audit State", "audit-state"]}', '"audit_status": the key "audit-state" is listed twice'],
  ])('refuses %s in one line naming the variable, the column or key, and the fix', (value, problem) => {
    const error = errorOf(value);
    expect(error.variable).toBe('ARCHIVE_COLUMN_ALIASES');
    expect(error.message).toContain(`ARCHIVE_COLUMN_ALIASES: ${problem}`);
    expect(error.message).toContain('e.g. {"audit_status": ["Audit State"]');
    expect(error.message).not.toContain('\n');
  });
});
