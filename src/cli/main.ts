import { CommanderError } from 'commander';
import { commandModule } from './command-index.js';
import { commandWord } from './command-word.js';
import { EXIT_CODES } from '../core/errors.js';
import { addCommandSummaries, optionsWithValue, rootProgram } from './program.js';

async function main(argv: string[]): Promise<void> {
  const program = rootProgram();
  // Only the module of the command this line names is loaded (issue 16: `status` does not pay for the
  // sandbox's or the controller's imports); with none named (`--help`, no command, an unknown word) every
  // top-level command is listed from its summary, exactly as commander lists it registered.
  const named = commandModule(commandWord(argv.slice(2), optionsWithValue(program)));
  if (named) (await named.load())(program);
  else addCommandSummaries(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // Usage errors (unknown flag, missing argument) are bad input: exit 2, like every other invalid input.
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_CODES.invalid;
    } else {
      throw err;
    }
  }
}

// No top-level await: the bundle is CommonJS (scripts/bundle-cli.mjs). An unexpected error still ends the
// process as an unhandled rejection does: printed with its stack, exit 1.
main(process.argv).catch((err: unknown) => {
  process.exitCode = 1;
  throw err;
});
