import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, commandModule, summary } from '../../src/cli/command-index.js';
import { commandWord } from '../../src/cli/command-word.js';
import { addCommandSummaries, optionsWithValue, rootProgram } from '../../src/cli/program.js';

async function registered(): Promise<Command> {
  const program = rootProgram();
  for (const m of COMMAND_MODULES) (await m.load())(program);
  return program;
}

describe('the command index', () => {
  it('`ripcord --help` from the summaries is the help of every registered command, word for word', async () => {
    const full = await registered();
    const light = rootProgram();
    addCommandSummaries(light);
    expect(light.helpInformation()).toBe(full.helpInformation());
    // The same commands, in the same order, each from the module the index names.
    expect(light.commands.map((c) => c.name())).toEqual(full.commands.map((c) => c.name()));
  }, 30_000);

  it('each module registers exactly the top-level commands the index lists for it', async () => {
    for (const m of COMMAND_MODULES) {
      const program = rootProgram();
      (await m.load())(program);
      expect(program.commands.map((c) => c.name())).toEqual(m.commands.map((c) => c.name));
    }
  }, 30_000);

  it('finds the module by command name; an unknown name has none; summary() throws for one', () => {
    expect(commandModule('resume')?.commands.map((c) => c.name)).toEqual(['rollback', 'resume']);
    expect(commandModule('nope')).toBeUndefined();
    expect(commandModule(undefined)).toBeUndefined();
    expect(() => summary('nope')).toThrow(/no command "nope"/);
  });
});

describe('commandWord', () => {
  const values = optionsWithValue(rootProgram());

  it('knows which root options take a value', () => {
    expect([...values].sort()).toEqual(
      ['--config', '--context', '--namespace', '--output', '--sandbox-dir', '-n', '-o'].sort(),
    );
  });

  it.each([
    [['status', 'venue-service'], 'status'],
    [['--config', 'status', 'rollback', 'x'], 'rollback'],
    [['-o', 'json', '-n', 'ns', 'status', 'x'], 'status'],
    [['--config=ripcord.yaml', '-ojson', 'plan', 'x'], 'plan'],
    [['--help'], undefined],
    [[], undefined],
    [['help'], 'help'],
    [['help', 'status'], 'status'],
    [['--config', 'c.yaml', 'help', 'rollback'], 'rollback'],
    [['sandbox', 'up', '--crash-backoff', '1s'], 'sandbox'],
    [['--', 'status'], 'status'],
    [['statuss', 'x'], 'statuss'],
  ])('%j names %s', (argv, word) => {
    expect(commandWord(argv, values)).toBe(word);
  });
});
