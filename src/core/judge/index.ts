export * from './verdict.js';
export * from './error-rate-sprt.js';
export * from './latency-ratio.js';
export * from './memory-leak.js';
export * from './recovery-sprt.js';
export * from './latency-recovery.js';
export * from './seeded-random.js';
