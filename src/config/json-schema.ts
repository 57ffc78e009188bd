import * as z from 'zod';
import { RipcordFile } from './schema.js';

/**
 * The JSON Schema of `ripcord.yaml` as written (durations as strings, defaults shown), for editors: point the
 * YAML language server at it with `# yaml-language-server: $schema=ripcord.schema.json`.
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RipcordFile, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
