import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listProfiles, loadProfile, predictDecodeTokPerS, profilesDir, validateProfile } from '../../src/sim/index.js';

const distIndex = fileURLToPath(new URL('../../dist/sim/index.js', import.meta.url));

describe('sim profiles', () => {
  it('lists the bundled profiles, all illustrative with a source', () => {
    const names = listProfiles().map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['small', 'h100-illustrative']));
    for (const p of listProfiles()) {
      expect(p.illustrative).toBe(true);
      expect(p.source.length).toBeGreaterThan(20);
    }
  });

  it('loads by name and by path', () => {
    const small = loadProfile('small');
    expect(small.servedModelName).toBe('sim-small');
    expect(loadProfile(`${profilesDir()}/small.yaml`).name).toBe('small');
  });

  it('names the file and key on invalid profiles', () => {
    const bad = fileURLToPath(new URL('../fixtures/sim/bad-profile.yaml', import.meta.url));
    expect(() => loadProfile(bad)).toThrow(/bad-profile\.yaml: simulator profile key "step_time_ms\.b" must be a number/);
    expect(() => loadProfile('no-such-profile')).toThrow(/not found.*small/);
    expect(() => validateProfile({ name: 'x', illustrative: false }, 'f.yaml')).toThrow(/f\.yaml: .*"illustrative"/);
  });

  it('predicts decode tok/s = 1000 / stepMs', () => {
    const p = loadProfile('small');
    const { a, b, c, d } = p.stepTimeMs;
    expect(predictDecodeTokPerS(p, { batch: 4, kvTokensPerSeq: 50_000, prefillTokensPerStep: 512 })).toBeCloseTo(1000 / (a + 4 * b + 4 * 50_000 * c + 512 * d), 9);
    expect(predictDecodeTokPerS(p, { batch: 8, kvTokensPerSeq: 60_000 })).toBeLessThan(predictDecodeTokPerS(p, { batch: 1, kvTokensPerSeq: 60_000 }));
  });

  it.skipIf(!existsSync(distIndex))('resolves the profiles folder from dist/ too', async () => {
    const dist = (await import(distIndex)) as typeof import('../../src/sim/index.js');
    expect(dist.profilesDir()).toBe(profilesDir());
    expect(dist.loadProfile('small').name).toBe('small');
  });
});
