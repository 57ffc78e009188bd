/**
 * src/core must stay free of import cycles: a cycle among modules makes the evaluation order decide whether a
 * value is defined yet, and it is how the core once grew into one knot (plan -> detect -> ports -> notify ->
 * plan). Type-only imports count too: they are how such knots start. The plan and run types live in
 * src/core/model, a leaf that imports nothing else of core.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CORE = join(ROOT, 'src/core');

type Graph = Map<string, string[]>;

/** Every module specifier of a file: imports, `export ... from`, `import type`, `import()`. */
function specifiers(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** The .ts file a relative specifier names (`./x.js` is `./x.ts` under NodeNext), or undefined. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c));
}

/** The import graph among the .ts files under `dir` (edges leaving `dir` are dropped). */
function importGraph(dir: string): Graph {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
  const inside = new Set(files);
  const graph: Graph = new Map();
  for (const file of files) {
    const deps = specifiers(file)
      .map((s) => resolveSpecifier(file, s))
      .filter((t): t is string => t !== undefined && inside.has(t));
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/**
 * One cycle per strongly connected component (Tarjan): `cycle` is a concrete path such as [a, b, c, a], `knot`
 * every file of the component (each reaches every other).
 */
function findCycles(graph: Graph): Array<{ cycle: string[]; knot: string[] }> {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components.map((c) => ({ cycle: cyclePath(graph, new Set(c)), knot: [...c].sort() }));
}

/** One concrete cycle inside a strongly connected component, for a readable failure message. */
function cyclePath(graph: Graph, component: Set<string>): string[] {
  const start = [...component].sort()[0]!;
  const seen = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x = v; x !== start; x = seen.get(x)!) path.splice(1, 0, x);
        return [...path, start];
      }
      if (!seen.has(w)) {
        seen.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

const rel = (f: string): string => relative(ROOT, f);

describe('src/core import graph', () => {
  const graph = importGraph(CORE);

  it('reads the real imports (guards against a parser that finds nothing)', () => {
    expect(graph.size).toBeGreaterThan(40);
    expect(graph.get(join(CORE, 'plan.ts'))).toContain(join(CORE, 'model/plan.ts'));
    expect(graph.get(join(CORE, 'executor.ts'))).toContain(join(CORE, 'journal.ts'));
  });

  it('has no import cycle', () => {
    const cycles = findCycles(graph).map(
      ({ cycle, knot }) =>
        `${cycle.map(rel).join(' -> ')}\n  (knot of ${knot.length}: ${knot.map(rel).join(', ')})`,
    );
    expect(cycles, `import cycles in src/core:\n${cycles.join('\n')}`).toEqual([]);
  });

  it('keeps src/core/model a leaf: it imports nothing from the rest of core', () => {
    const model = join(CORE, 'model') + '/';
    const leaks = [...graph]
      .filter(([file]) => file.startsWith(model))
      .flatMap(([file, deps]) =>
        deps.filter((d) => !d.startsWith(model)).map((d) => `${rel(file)} -> ${rel(d)}`),
      );
    expect(leaks).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const g: Graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(findCycles(g)).toEqual(
      expect.arrayContaining([
        { cycle: ['a', 'b', 'c', 'a'], knot: ['a', 'b', 'c'] },
        { cycle: ['e', 'e'], knot: ['e'] },
      ]),
    );
    expect(findCycles(g)).toHaveLength(2);
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
  });
});
