/** Small charts for a terminal: horizontal bars and sparklines, in plain Unicode (no colours needed). */

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'] as const;

/** One bar: its label and value. */
export interface Bar {
  readonly label: string;
  readonly value: number;
}

/**
 * Horizontal bars scaled to the largest value, `width` characters at most, each followed by its value:
 *
 * ```
 * st-demo-sales 10  ████████████▍ 62
 * ```
 */
export function barChart(bars: readonly Bar[], options: { width?: number; unit?: string } = {}): string {
  const width = options.width ?? 40;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const labelWidth = Math.max(0, ...bars.map((b) => b.label.length));
  return bars
    .map((b) => {
      const eighths = max === 0 ? 0 : Math.round((Math.max(0, b.value) / max) * width * 8);
      const bar = '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
      return `${b.label.padEnd(labelWidth)}  ${bar.padEnd(width)} ${b.value.toLocaleString('en-US')}${options.unit ?? ''}`;
    })
    .join('\n');
}

/** A sparkline of `values` between their minimum and maximum (`·` for a missing value). */
export function sparkline(values: readonly (number | null)[]): string {
  const present = values.filter((v): v is number => v !== null);
  const min = Math.min(...present);
  const max = Math.max(...present);
  return values
    .map((v) => {
      if (v === null) return '·';
      if (max === min) return BLOCKS[3];
      return BLOCKS[Math.round(((v - min) / (max - min)) * (BLOCKS.length - 1))];
    })
    .join('');
}
