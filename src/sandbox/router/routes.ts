import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { waitFor } from '../process.js';
import { writeJsonAtomic } from '../state.js';

/** One Service in the routes file: `url` is its first TCP port, `ports` maps every TCP port to its listener. */
export const RouteEntry = z.object({ url: z.string(), ports: z.record(z.string(), z.string()) });
export type RouteEntry = z.infer<typeof RouteEntry>;

/** The router's routes file: `"<namespace>/<service>"` → listeners; how tests and the CLI find a Service. */
export const RoutesFile = z.record(z.string(), RouteEntry);
export type RoutesFile = z.infer<typeof RoutesFile>;

/** The routes file's content; empty when there is no file yet (the router has not started or has stopped). */
export function readRoutes(file: string): RoutesFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  return RoutesFile.parse(JSON.parse(text));
}

/** Replaces the routes file atomically, so a reader never sees half of it. */
export function writeRoutes(file: string, routes: RoutesFile): void {
  mkdirSync(dirname(file), { recursive: true });
  writeJsonAtomic(file, routes);
}

/** Waits until the router lists `namespace/service` and returns the URL of its first port. */
export async function waitForRoute(
  routesFile: string,
  namespace: string,
  service: string,
  timeoutMs: number,
): Promise<string> {
  let url: string | undefined;
  await waitFor(
    `the sandbox router to list service ${namespace}/${service} in ${routesFile}`,
    async () => {
      url = readRoutes(routesFile)[`${namespace}/${service}`]?.url;
      return url !== undefined;
    },
    timeoutMs,
    100,
  );
  return url ?? '';
}
