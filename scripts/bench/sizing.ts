/** The bench's figures that sizing (infra/sizing.ts) rests on. */
import type { SizingInputs } from '../../infra/sizing';
import type { BenchResults, Figure } from './results';

/** A figure of a scenario, if the run measured it. */
function findFigure(results: BenchResults, scenario: string, id: string): Figure | undefined {
  return results.scenarios.find((s) => s.id === scenario)?.figures.find((f) => f.id === id);
}

/** The inputs of infra/sizing.ts as this run measured them (NaN where it did not). */
export function sizingInputs(results: BenchResults): SizingInputs {
  return {
    cpuUsPerContact: findFigure(results, 'cpu-bound', 'cpuUsPerContact')?.value ?? Number.NaN,
    requestsRatio: findFigure(results, 'requests', 'requestsRatio')?.value ?? Number.NaN,
    peakRssMb: findFigure(results, 'memory', 'peakRssLargeMb')?.value ?? Number.NaN,
    pageSize: Number(results.settings.pageSize ?? 100),
  };
}
