import { describe, expect, it } from 'vitest';
import { asciiChart } from '../../src/ui/index.js';

describe('asciiChart', () => {
  it('places the extreme points at the corners and labels the axes', () => {
    const out = asciiChart([[0, 0], [10, 1]], { width: 11, height: 5, yLabel: 'score', xLabel: 'tokens' });
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('score');
    expect(lines[1]).toMatch(/^  1 \|\s+\.?\*$/); // top-right
    expect(lines[5]).toMatch(/^  0 \|\*/); // bottom-left
    expect(lines[3].startsWith('0.5 |')).toBe(true);
    expect(lines[6]).toBe('    +-----------');
    expect(lines[7]).toMatch(/^ {5}0 {8}10$/);
    expect(lines[8]).toContain('tokens');
  });

  it('draws a flat line across the whole width', () => {
    const out = asciiChart([[0, 5], [4, 5], [9, 5]], { width: 10, height: 3 });
    const mid = out.split('\n')[1];
    expect(mid.replace(/^.*\|/, '')).toBe('*...*....*');
  });

  it('several series get their own markers and a legend; bad points are skipped', () => {
    const out = asciiChart(
      [
        { name: 'safe', points: [[0, 0], [1, 1]] },
        { name: 'adaptive', points: [{ x: 0, y: 1 }, { x: 1, y: Number.NaN }] },
      ],
      { width: 10, height: 4 },
    );
    expect(out).toContain('* safe   o adaptive');
    expect(out).toContain('o');
    expect(asciiChart([])).toBe('(no data)\n');
  });

  it('respects fixed axis ranges', () => {
    const out = asciiChart([[0, 0.5]], { width: 10, height: 5, yMin: 0, yMax: 1, xMin: 0, xMax: 1 });
    expect(out.split('\n')[2]).toBe('0.5 |*');
  });
});
