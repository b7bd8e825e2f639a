import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dcgmFromPage, parseDcmiPowerReading, parseNvsmiCsv, parsePowerLog, parsePrometheusText, parseRedfishPower, parsePowerSpec } from '../../src/power/index.js';

const FIX = path.join(import.meta.dirname, '../fixtures/power');
const fixture = (f: string) => readFileSync(path.join(FIX, f), 'utf8');

describe('prometheus / dcgm-exporter page', () => {
  it('parses labels and sums DCGM power over GPUs', () => {
    const page = parsePrometheusText(fixture('dcgm-exporter.metrics.txt'));
    expect(page.types.DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION).toBe('counter');
    const r = dcgmFromPage(page);
    expect(r.gpus).toEqual(['0', '1']);
    expect(r.powerW).toBeCloseTo(512.337 + 498.12, 6);
    expect(r.energyJ).toBeCloseTo((81234567890 + 79876543210) / 1000, 3);
    expect(r.modelNames).toEqual(['NVIDIA H100 80GB HBM3']);
    expect(dcgmFromPage(page, ['GPU-9a8b7c6d-0000-1111-2222-333344445555']).powerW).toBeCloseTo(498.12, 6);
  });

  it('parses the simulator page', () => {
    const r = dcgmFromPage(parsePrometheusText(fixture('sim-metrics.txt')));
    expect(r.energyJ).toBeCloseTo(1234.567, 6);
    expect(r.powerW).toBeCloseTo(612.5, 6);
    expect(r.gpus).toEqual(['0']);
  });
});

describe('nvidia-smi CSV', () => {
  it('reads the header with units and turns [N/A] into null', () => {
    const { columns, rows } = parseNvsmiCsv(fixture('nvidia-smi.csv'));
    expect(columns).toEqual(['timestamp', 'index', 'uuid', 'power.draw', 'power.draw.instant']);
    expect(rows).toHaveLength(8);
    expect(rows[3].values['power.draw.instant']).toBeNull();
    expect(rows[4].tMs - rows[0].tMs).toBe(2001);
  });

  it('as a replay log: ticks summed over GPUs, a tick with a missing GPU is invalid', () => {
    const log = parsePowerLog(fixture('nvidia-smi.csv'), 'nvidia-smi.csv', { field: 'power.draw.instant' });
    expect(log.format).toBe('nvidia-smi-csv');
    expect(log.kind).toBe('power-instant');
    expect(log.samples.map((s) => s.value)).toEqual([700.75, null, 702, 700]);
    const avg = parsePowerLog(fixture('nvidia-smi.csv'), 'x', { field: 'power.draw' });
    expect(avg.kind).toBe('power-interval-avg');
  });
});

describe('ipmitool dcmi power reading', () => {
  it('parses instantaneous, min/max/avg and state', () => {
    expect(parseDcmiPowerReading(fixture('ipmitool-dcmi-power-reading.txt'))).toEqual({
      instantW: 612,
      minW: 98,
      maxW: 845,
      avgW: 598,
      samplingPeriodS: 5,
      active: true,
    });
  });
});

describe('redfish', () => {
  it('EnvironmentMetrics: EnergyJoules preferred', () => {
    const r = parseRedfishPower(JSON.parse(fixture('redfish-environment-metrics.json')));
    expect(r.kind).toBe('environment-metrics');
    expect(r.energyJ).toBe(987654321);
    expect(r.powerW).toBe(6410.5);
    expect(r.energyFromKWh).toBe(false);
    expect(r.field).toBe('EnvironmentMetrics.EnergyJoules');
  });

  it('EnvironmentMetrics with only EnergykWh is marked coarse', () => {
    const j = JSON.parse(fixture('redfish-environment-metrics.json'));
    delete j.EnergyJoules;
    const r = parseRedfishPower(j);
    expect(r.energyJ).toBeCloseTo(274.35 * 3.6e6, 3);
    expect(r.energyFromKWh).toBe(true);
  });

  it('legacy Power: PowerControl[0].PowerConsumedWatts', () => {
    const r = parseRedfishPower(JSON.parse(fixture('redfish-power.json')));
    expect(r).toMatchObject({ kind: 'power', powerW: 5821, energyJ: null });
  });
});

describe('replay logs', () => {
  it('MLPerf spl.txt: 1 s averages, 0 W dropped', () => {
    const log = parsePowerLog(fixture('mlperf-spl.txt'), 'spl.txt');
    expect(log.format).toBe('mlperf-spl');
    expect(log.kind).toBe('power-interval-avg');
    expect(log.samples).toHaveLength(60);
    expect(log.samples[17].value).toBeNull();
    expect(log.samples[59].tS).toBe(59);
  });

  it('JSONL with meta, CSV with units, and clear errors', () => {
    const j = parsePowerLog(fixture('square-wave.jsonl'), 'sq.jsonl');
    expect(j.meta.boundary).toBe('node');
    expect(j.samples).toHaveLength(601);
    const c = parsePowerLog('t_ms,energy_j\n0,10\n1000,20\n', 'e.csv');
    expect(c.kind).toBe('energy-counter');
    expect(c.samples[1]).toEqual({ tS: 1, value: 20 });
    const mw = parsePowerLog('t,value\n0,1500\n', 'mw.csv', { unit: 'mW' });
    expect(mw.samples[0].value).toBeCloseTo(1.5, 9);
    expect(() => parsePowerLog('a,b\n1,2\n', 'bad.csv')).toThrow(/bad.csv:1: CSV header needs a time column/);
    expect(() => parsePowerLog('{"t":0,"value":1}\n{oops\n', 'bad.jsonl')).toThrow(/bad.jsonl:2/);
  });
});

describe('--power spec', () => {
  it('parses options and main arguments', () => {
    expect(parsePowerSpec('nvidia-smi:gpus=0,1;field=power.draw.instant;interval_ms=100').options).toEqual({ gpus: '0,1', field: 'power.draw.instant', interval_ms: '100' });
    expect(parsePowerSpec('replay:/tmp/a.csv').options).toEqual({ file: '/tmp/a.csv' });
    expect(parsePowerSpec('sim')).toMatchObject({ source: 'sim', options: {} });
    expect(parsePowerSpec('nameplate:watts=10200;boundary=node').options).toEqual({ watts: '10200', boundary: 'node' });
    expect(parsePowerSpec('dcgm-exporter:url=http://127.0.0.1:9400/metrics').options.url).toBe('http://127.0.0.1:9400/metrics');
    // A ';' inside a command is kept unless followed by key=.
    expect(parsePowerSpec('command:cmd=read a; echo b;boundary=node;class=node-dc').options).toEqual({ cmd: 'read a; echo b', boundary: 'node', class: 'node-dc' });
    expect(parsePowerSpec('ipmi:host=10.0.0.7;user_env=IPMI_USER;pass_env=IPMI_PASS').options).toEqual({ host: '10.0.0.7', user_env: 'IPMI_USER', pass_env: 'IPMI_PASS' });
  });

  it('refuses unknown sources with the list of known ones', () => {
    expect(() => parsePowerSpec('nvml')).toThrow(/unknown power source "nvml".*nvidia-smi, dcgm-exporter/);
  });
});
