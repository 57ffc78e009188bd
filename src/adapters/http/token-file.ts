import { readFile } from 'node:fs/promises';
import { RipcordError } from '../../core/errors.js';
import { causeCode } from './cause-code.js';

/**
 * Reads an API token from a file (Vault, Unleash): trimmed, refused when empty. Errors name the file and the
 * system it is for, never the content.
 */
export async function readTokenFile(path: string, system: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RipcordError(
      'invalid',
      `cannot read the ${system} token file ${path} (${causeCode(err) ?? 'error'})`,
      {
        cause: err,
      },
    );
  }
  const value = text.trim();
  if (!value) throw new RipcordError('invalid', `the ${system} token file ${path} is empty`);
  return value;
}

/**
 * Reads a token from where the config says it is (an environment variable or a file), at call time. Errors name
 * the variable or file and the system (`kind` describes the expected token), never the value.
 */
export async function readTokenSource(
  source: { env: string } | { file: string },
  system: string,
  kind?: string,
): Promise<string> {
  if ('file' in source) return readTokenFile(source.file, system);
  const value = process.env[source.env]?.trim();
  if (!value) {
    throw new RipcordError(
      'invalid',
      `no ${system} token: environment variable ${source.env} is not set${kind ? ` (${kind})` : ''}`,
    );
  }
  return value;
}
