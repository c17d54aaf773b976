import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../functions/lib/archive/schema';
import { ENV, loadConfig } from '../../functions/lib/config';
import { ConfigError } from '../../functions/lib/errors';
import { parseInfraConfig } from '../../infra/config';
import { thrownBy } from '../support/errors';
import { exampleConfig, onlyResource, synthesize, type Synthesized } from './support/synth';

const aliases = { audit_status: ['Audit State'], 'agents.agent_id': 'Agent Key' };

function configErrorOf(fn: () => unknown): ConfigError {
  return thrownBy(fn, ConfigError);
}

describe('infra configuration: columnAliases', () => {
  it('reaches the function as ARCHIVE_COLUMN_ALIASES, which the function accepts', () => {
    const config = parseInfraConfig({ ...exampleConfig(), columnAliases: aliases });
    expect(JSON.parse(config.functionSettings[ENV.columnAliases] ?? '')).toEqual(aliases);
    const fn = loadConfig({ ...config.functionSettings, [ENV.bucket]: 'b', [ENV.secretId]: 's' });
    expect(fn.columnAliases).toEqual({ audit_status: ['Audit State'], 'agents.agent_id': ['Agent Key'] });
  });

  it('is left out when unset, null or empty', () => {
    for (const columnAliases of [undefined, null, {}]) {
      const config = parseInfraConfig({ ...exampleConfig(), columnAliases });
      expect(config.functionSettings[ENV.columnAliases]).toBeUndefined();
    }
  });

  it('names the context key, the column and the fix when the function would refuse the value', () => {
    const error = configErrorOf(() => parseInfraConfig({ ...exampleConfig(), columnAliases: { audit_stats: ['Audit State'] } }));
    expect(error.variable).toBe('kore-qa-archive.columnAliases');
    expect(error.message).toMatch(/^kore-qa-archive\.columnAliases: "audit_stats" is not a column of the table .*e\.g\. \{"audit_status"/);
  });

  it('refuses a value of the wrong shape', () => {
    const error = configErrorOf(() => parseInfraConfig({ ...exampleConfig(), columnAliases: ['Audit State'] }));
    expect(error.message).toContain('kore-qa-archive.columnAliases: must be an object of column (or column.field) to source keys');
  });

  it('accepts a -c override as JSON text', () => {
    const config = parseInfraConfig(exampleConfig(), { 'kore-qa-archive.columnAliases': JSON.stringify(aliases) });
    expect(JSON.parse(config.functionSettings[ENV.columnAliases] ?? '')).toEqual(aliases);
  });
});

describe('stack: aliases in the function environment, schema version in the outputs', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize({ config: { columnAliases: aliases } });
  });
  afterAll(() => synth?.dispose());

  it('sets ARCHIVE_COLUMN_ALIASES through the settings binding', () => {
    const { properties } = onlyResource(synth.template, 'AWS::Lambda::Function');
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.parse(variables[ENV.columnAliases] as string)).toEqual(aliases);
  });

  it('outputs the schema version of the Glue table', () => {
    synth.template.hasOutput('SchemaVersion', { Value: String(SCHEMA_VERSION) });
  });
});
