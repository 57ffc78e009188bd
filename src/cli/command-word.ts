/**
 * The command a command line names, found before the CLI loads any command's modules (issue 16: `ripcord
 * status` should not pay for `sandbox`'s or `controller`'s imports, `ripcord --help` for none).
 *
 * It is the first word that is not an option, skipping the values of the root options that take one (`--config
 * FILE`, `-o json`); `ripcord help status` names `status`. Attached values (`--config=FILE`, `-ojson`) are one
 * word. Anything else (no command, an unknown word) is `undefined` or the word itself: commander then answers
 * as it always did, from the summaries.
 */
export function commandWord(
  argv: readonly string[],
  optionsWithValue: ReadonlySet<string>,
): string | undefined {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      words.push(...argv.slice(i + 1, i + 3));
      break;
    }
    if (arg.startsWith('-') && arg !== '-') {
      if (optionsWithValue.has(arg)) i += 1;
      continue;
    }
    words.push(arg);
    if (words[0] !== 'help') break;
  }
  return words[0] === 'help' ? (words[1] ?? 'help') : words[0];
}
