/** Output format chosen by the global `-o` flag: human text by default, JSON for scripts. */
export type OutputFormat = 'text' | 'json';

export interface GlobalOptions {
  config?: string;
  output: OutputFormat;
  sandboxDir?: string;
  context?: string;
  namespace?: string;
}

/** Prints `data` as JSON, or calls `text` to print the human form. */
export function emit(opts: GlobalOptions, data: unknown, text: () => string): void {
  if (opts.output === 'json') process.stdout.write(JSON.stringify(data, null, 2) + '\n');
  else process.stdout.write(text() + '\n');
}

/** Progress lines go to stderr so stdout stays clean for `-o json`. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
