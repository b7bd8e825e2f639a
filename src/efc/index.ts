/** efc/: feedback axis scorers, task demand, aggregation and success-vs-compute fits (DESIGN 6). Our implementation of the EFC idea. */
export * from './types.js';
export { informativeness, validity, nonRedundancy, retention, type AxisResult } from './axes.js';
export { normalizeText, similarity, jaccard, bucket, type NormalizedText } from './similarity.js';
export { candidates, sourceIteration, reportsBadOutcome } from './episode-state.js';
export { scoreEpisode, rawCompute, KAPPA, RETRY_DISCOUNT, type ScoreOptions } from './score.js';
export { loadEpisode } from './episode.js';
export { demand, demandFeatures, logFeatures, calibrateDemand, splitOf, DEFAULT_EXPONENTS, type DemandFeatures, type DemandExponents, type Calibration, type CalibrationPoint } from './demand.js';
export { fitSuccess, fitCurves, coordinate, hierarchicalResample, binCount, COORDINATES, RAW_COORDINATES, type FitPoint, type FitResult, type CoordinateFit, type CurveFit, type Coordinate, type FitOptions } from './fit.js';
export { logisticRegression, powerLawFit, powerLawAt, sigmoid, type PowerLaw } from './regress.js';
export { collectRuns, fitPoints, readCalibration, DEFAULT_DEMAND_FILE, type Collected } from './collect.js';
export { fitTable, verdict, fitSvg } from './report.js';
export { runExperiment, scriptFor, type ExperimentOptions, type ExperimentResult } from './experiment.js';
export { scoreSession, hasSessionContent, sessionEventKind, sessionFitPoints, type SessionScoreOptions } from './session.js';
export { logisticBand, type BandPoint } from './band.js';
