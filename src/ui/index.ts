/** Terminal output: tables, charts, live progress (ink on a TTY, plain lines otherwise). No figures computed here. */
export * from './types.js';
export { renderTable, displayWidth, fmtNum, fmtPct, type Align, type Cell, type TableOptions } from './table.js';
export { resultSummary, shortTime } from './summary.js';
export { asciiChart, type ChartPoint, type ChartSeries, type ChartOptions } from './chart.js';
export { renderRunDetail, renderRunMeta } from './run-view.js';
export { createProgressSink, InkProgressSink, type ProgressSinkOptions } from './progress.js';
export { PlainProgressPrinter, type PlainPrinterOptions } from './plain.js';
export { SweepView } from './SweepView.js';
export { initialProgressState, reduceProgress, progressBar, type ProgressState, type FinishedLevel } from './progress-state.js';
export { FeedSink, ndjsonSink, teeSinks, fromFeedEvent, EVENTS_FORMAT, type FeedEvent } from './feeds/events.js';
export { PrometheusFeed } from './feeds/prometheus.js';
export { liveLine, HISTORY, type HistoryPoint } from './progress-state.js';
export { runDashboard, DashboardApp, type DashboardSource, type DashboardOptions } from './follow.js';
export { Dashboard } from './Dashboard.js';
export { applyEvents, newFollowed, type FollowedRun, type RunRef } from './dashboard-state.js';
export { sparkline } from './sparkline.js';
