/**
 * Scenario options: the parsers scenarios declare theirs with, and what the registry derives from the
 * declarations (commander options for `plan` and `rollback`, the refusal of another scenario's flag).
 */
import type { Command } from 'commander';
import { RipcordError } from '../core/errors.js';
import type { RawScenarioFlags, ScenarioEntry, ScenarioOption } from './types.js';

/** A boolean switch (`--all`). */
export function switchOption(flag: string, help: string): ScenarioOption<boolean> {
  return { flag, help, parse: (raw) => raw === true };
}

/** A value option (`--to <migration>`); `check` may refuse the text, naming the flag. */
export function textOption<T = string>(
  flag: string,
  help: string,
  check: (text: string | undefined) => T = (t) => t as T,
): ScenarioOption<T> {
  return { flag, help, parse: (raw) => check(raw === undefined ? undefined : String(raw)) };
}

/** `--to-revision` from `toRevision`: commander's camelCase key back to the flag's name. */
const flagName = (o: ScenarioOption): string => o.flag.split(' ')[0] as string;

/**
 * The options of `entry` parsed from what commander collected; an option of another scenario that was given is
 * refused, naming it, so a typo'd scenario cannot half-apply.
 */
export function parseScenarioOptions(
  entry: ScenarioEntry,
  all: readonly ScenarioEntry[],
  flags: RawScenarioFlags,
): Record<string, unknown> {
  for (const other of all) {
    for (const [key, o] of Object.entries(other.options)) {
      if (Object.hasOwn(entry.options, key)) continue;
      if (flags[key] !== undefined) {
        throw new RipcordError('invalid', `${flagName(o)}: does not apply to --scenario ${entry.name}`);
      }
    }
  }
  const values: Record<string, unknown> = {};
  for (const [key, o] of Object.entries(entry.options)) {
    const v = o.parse(flags[key]);
    if (v !== undefined && v !== false) values[key] = v;
  }
  return values;
}

/** Every scenario's options on `cmd`, once each (a flag two scenarios share is declared once, naming both). */
export function addScenarioOptions(cmd: Command, entries: readonly ScenarioEntry[]): Command {
  const seen = new Map<string, { names: string[]; o: ScenarioOption }>();
  for (const e of entries) {
    for (const o of Object.values(e.options)) {
      const s = seen.get(o.flag);
      if (s) s.names.push(e.name);
      else seen.set(o.flag, { names: [e.name], o });
    }
  }
  cmd.option(
    '--scenario <name>',
    `which runbook scenario: ${entries.map((s) => `${s.name} (${s.summary})`).join('; ')}`,
    'app',
  );
  for (const { names, o } of seen.values()) cmd.option(o.flag, `${names.join('/')}: ${o.help}`);
  return cmd;
}
