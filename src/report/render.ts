/**
 * Charts: Vega-Lite specs compiled to Vega and rendered to SVG in Node (no browser, no canvas, no
 * network: the data are inline and the loader is never asked for anything). The SVG goes inline in
 * the HTML page and beside the Markdown.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const CONFIG = {
  font: 'sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 360 },
  view: { stroke: '#ccc' },
};

/** A loader that refuses everything: a report must never reach the network, even by mistake. */
const noLoader = {
  load: async (uri: string) => {
    throw new Error(`report charts load nothing (asked for ${uri})`);
  },
  sanitize: async (uri: string) => {
    throw new Error(`report charts load nothing (asked for ${uri})`);
  },
  http: async () => '',
  file: async () => '',
};

export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const full = { ...spec, config: { ...CONFIG, ...(spec as { config?: object }).config }, background: 'white' } as TopLevelSpec;
  const v = compile(full).spec;
  const view = new vega.View(vega.parse(v), { renderer: 'none', loader: noLoader as unknown as vega.Loader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
