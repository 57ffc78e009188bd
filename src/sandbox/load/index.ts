export {
  formatLoadReport,
  formatTimeline,
  NO_VERSION,
  VERSION_HEADER,
  type LastSeen,
  type LoadReport,
  type RequestOutcome,
  type TimelineSecond,
} from './load-report.js';
export { isLoopbackHost, loopbackUrl } from './loopback-url.js';
export { percentile, summarizeLatencies, type LatencySummary } from './percentiles.js';
export { isWrite, runLoad, type LoadOptions } from './run-load.js';
