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
