import { describe, expect, it } from 'vitest';
import { displayWidth, fmtNum, renderTable } from '../../src/ui/index.js';

describe('renderTable', () => {
  it('aligns text left and numbers right, with a header rule', () => {
    const out = renderTable(['id', 'agents', 'tok/s'], [
      ['a', 4, '12.5'],
      ['bbbb', 128, null],
    ]);
    expect(out).toBe(['id    agents  tok/s', '----  ------  -----', 'a          4   12.5', 'bbbb     128      -', ''].join('\n'));
  });

  it('honours explicit alignment, custom empty, no rule, and ragged rows', () => {
    const out = renderTable(['x', 'y'], [['1'], ['22', 'z']], { align: ['left', 'right'], rule: false, empty: '' });
    expect(out).toBe(['x   y', '1', '22  z', ''].join('\n'));
  });

  it('keeps one line per row and pads by display width', () => {
    const out = renderTable(['name', 'n'], [['a\nb', 1], ['日本', 2]]);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('a b   1');
    expect(lines[3]).toBe('日本  2');
    expect(displayWidth('日本')).toBe(4);
  });

  it('fmtNum', () => {
    expect(fmtNum(12345.6)).toBe('12,346');
    expect(fmtNum(3.14159)).toBe('3.1');
    expect(fmtNum(7)).toBe('7');
    expect(fmtNum(Number.NaN)).toBe('-');
    expect(fmtNum(null)).toBe('-');
  });
});
