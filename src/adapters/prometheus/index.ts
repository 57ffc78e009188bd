export * from './client.js';
export * from './queries.js';
export * from './triggers.js';
export { parseSampleValue, QueryResponse, QueryData } from './schema.js';
