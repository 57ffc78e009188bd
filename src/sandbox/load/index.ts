export { formatLoadReport, type LoadReport, type RequestOutcome } from './load-report.js';
export { isLoopbackHost, loopbackUrl } from './loopback-url.js';
export { percentile, summarizeLatencies, type LatencySummary } from './percentiles.js';
export { isWrite, runLoad, type LoadOptions } from './run-load.js';
