import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { FieldPath } from './interpolate.js';

/** A line and column, both 1-based, as editors show them. */
export interface Position {
  line: number;
  col: number;
}

/** A parsed YAML file that can still say where each value was written. */
export interface YamlSource {
  data: unknown;
  /** The position of the value at `path`, or of its key when `key` is set; else of the nearest ancestor. */
  locate(path: FieldPath, opts?: { key?: boolean }): Position | undefined;
}

/** A YAML syntax error with its position. */
export interface YamlSyntaxProblem {
  position?: Position;
  message: string;
}

/**
 * Parses YAML 1.2 (so `on`/`yes` stay strings), keeping node positions for error messages. Merge keys
 * (`<<: *base`) are allowed: they are how people share blocks between services in plain YAML.
 */
export function parseYamlSource(text: string): { source: YamlSource } | { problems: YamlSyntaxProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({ position: lines.linePos(e.pos[0]), message: e.message })),
    };
  }
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  return {
    source: {
      data,
      locate: (path, opts = {}) => {
        const offset = offsetOf(doc, path, opts.key ?? false);
        return offset === undefined ? undefined : lines.linePos(offset);
      },
    },
  };
}

function offsetOf(doc: Document, path: FieldPath, wantKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined = rangeStart(node);
  for (const [i, step] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === step);
      if (!pair) return best;
      if (last && wantKey) return rangeStart(pair.key) ?? best;
      node = pair.value;
      // `key:` with nothing after it has no value node; point at the key instead.
      best = rangeStart(node) ?? rangeStart(pair.key) ?? best;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
      best = rangeStart(node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}
