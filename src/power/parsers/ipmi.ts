/**
 * `ipmitool dcmi power reading` output (ipmitool lib/ipmi_dcmi.c ipmi_dcmi_pwr_rd):
 *     Instantaneous power reading:                   250 Watts
 *     Minimum during sampling period:                 10 Watts
 *     Maximum during sampling period:                520 Watts
 *     Average power reading over sample period:      248 Watts
 *     IPMI timestamp:                           Mon Jun  1 12:00:00 2026
 *     Sampling period:                          00000005 Seconds.
 *     Power reading state is:                   activated
 */
export interface DcmiReading {
  instantW: number | null;
  minW: number | null;
  maxW: number | null;
  avgW: number | null;
  samplingPeriodS: number | null;
  active: boolean | null;
}

export function parseDcmiPowerReading(text: string): DcmiReading {
  const w = (label: RegExp): number | null => {
    const m = new RegExp(label.source + String.raw`\s*:\s*(\d+(?:\.\d+)?)\s*Watts`, 'i').exec(text);
    return m ? Number(m[1]) : null;
  };
  const per = /Sampling period\s*:\s*(\d+)\s*Seconds/i.exec(text);
  const st = /Power reading state is\s*:\s*(\w+)/i.exec(text);
  return {
    instantW: w(/Instantaneous power reading/),
    minW: w(/Minimum during sampling period/),
    maxW: w(/Maximum during sampling period/),
    avgW: w(/Average power reading over sample period/),
    samplingPeriodS: per ? Number(per[1]) : null,
    active: st ? st[1].toLowerCase() === 'activated' : null,
  };
}
