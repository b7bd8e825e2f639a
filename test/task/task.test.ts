import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTaskDirs, loadTask, resolveTaskDir } from '../../src/task/index.js';

const fx = path.resolve('test/fixtures/loop/tasks');

describe('task loader', () => {
  it('loads the bundled dev tasks with their [agentdyno] extensions', () => {
    const t = loadTask(resolveTaskDir('kernel/matmul-c'));
    expect(t.id).toBe('kernel/matmul-c');
    expect(t.direction).toBe('lower');
    expect(t.editable).toEqual(['kernel.c']);
    expect(Object.keys(t.params)).toEqual(['order', 'block']);
    expect(t.scoring).toBe('log-speedup');
    expect(t.instruction).toContain('matmul');
    expect(findTaskDirs('tasks').length).toBeGreaterThanOrEqual(2);
  });

  it('reports every problem of a malformed task.toml by file and key', () => {
    let msg = '';
    try {
      loadTask(path.join(fx, 'kernel/bad'));
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain('kernel/bad/task.toml: [optimization].direction: expected "lower" or "higher", got "down"');
    expect(msg).toContain('task.toml: [agentdyno].check: missing');
  });
});
