/** The one y/N question before a change: refused (exit 3) without a terminal, or on anything but yes. */
import { createInterface } from 'node:readline/promises';
import { RipcordError } from '../core/errors.js';

/** `withoutAsking` completes "pass --yes to … without asking" in the refusal when stdin is not a terminal. */
export async function confirmOrRefuse(question: string, withoutAsking: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new RipcordError(
      'refused',
      `not confirmed: stdin is not a terminal; pass --yes to ${withoutAsking} without asking`,
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim()))
      throw new RipcordError('refused', 'not confirmed: nothing was changed');
  } finally {
    rl.close();
  }
}
