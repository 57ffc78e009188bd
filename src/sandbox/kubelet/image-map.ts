/**
 * The sandbox kubelet's image map: which local command "is" a container image.
 *
 * There is no container runtime in the sandbox, so an image reference names a local program instead:
 *
 *   venue-service:<tag> -> node <repoRoot>/dist/examples/venue-service/src/main.js, env VENUE_RELEASE=<tag>
 *   sandbox-echo:<tag>  -> node <repoRoot>/dist/src/sandbox/kubelet/echo-server.js, env ECHO_VERSION=<tag>
 *
 * More entries can be loaded from a JSON file (kubelet option `imagesFile`, flag `--images`):
 *
 *   { "my-app:*":   { "command": ["${node}", "${repoRoot}/dist/my-app.js"], "env": { "MY_VERSION": "${tag}" } },
 *     "tool:1.0":   { "command": ["/usr/bin/tool", "--serve"] } }
 *
 * A key is `name:*` (any tag) or `name:tag` (exactly that tag). In `command` and `env` values, `${tag}`
 * becomes the image's tag, `${node}` the Node.js binary running the kubelet, `${repoRoot}` this repository.
 * File entries win over built-in ones, exact tags over `*`. A registry prefix is ignored when the full
 * reference has no entry (`registry.example/venue-service:v2` finds `venue-service:*`), and an image without
 * a tag has tag `latest`, as with a real registry. An image that matches nothing cannot be "pulled": the
 * kubelet reports ErrImagePull / ImagePullBackOff, like a real kubelet for a missing image.
 *
 * The pod's own `command`/`args` are not used: the map entry is the whole command line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../control-plane/binaries.js';

export const ImageEntry = z.object({
  command: z.array(z.string().min(1)).min(1),
  env: z.record(z.string(), z.string()).default({}),
});
export type ImageEntry = z.infer<typeof ImageEntry>;

export const ImagesFile = z.record(
  z.string().regex(/^[^\s:]+:[^\s:]+$/, { error: 'image keys look like "name:*" or "name:tag"' }),
  ImageEntry,
);
export type ImagesFile = z.infer<typeof ImagesFile>;

/** What the kubelet runs for one image: the command line and extra environment, placeholders resolved. */
export interface ResolvedImage {
  command: string[];
  env: Record<string, string>;
}

export type ImageMap = Map<string, ImageEntry>;

/** The two images every sandbox knows. Built output under dist/, so `npm run build` must have run. */
export function builtInImages(root = repoRoot()): ImageMap {
  return new Map<string, ImageEntry>([
    [
      'venue-service:*',
      {
        command: ['${node}', join(root, 'dist', 'examples', 'venue-service', 'src', 'main.js')],
        env: { VENUE_RELEASE: '${tag}' },
      },
    ],
    [
      'sandbox-echo:*',
      {
        command: ['${node}', join(root, 'dist', 'src', 'sandbox', 'kubelet', 'echo-server.js')],
        env: { ECHO_VERSION: '${tag}' },
      },
    ],
  ]);
}

/** Built-in images plus those of `imagesFile` (validated; a bad file fails kubelet start, loudly). */
export function loadImageMap(imagesFile?: string): ImageMap {
  const map = builtInImages();
  if (!imagesFile) return map;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(imagesFile, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read image map ${imagesFile}: ${(err as Error).message}`);
  }
  const parsed = ImagesFile.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid image map ${imagesFile}: ${why}`);
  }
  for (const [key, entry] of Object.entries(parsed.data)) map.set(key, entry);
  return map;
}

/** Splits `registry/path/name:tag` or `name@sha256:…` into repository and tag (default `latest`). */
export function parseImageRef(image: string): { repository: string; tag: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { repository: image.slice(0, at), tag: image.slice(at + 1) };
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  // A colon before the last slash is a registry port (`localhost:5000/app`), not a tag.
  if (colon > slash) return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repository: image, tag: 'latest' };
}

/** The command for `image`, or undefined when the sandbox has no such image. */
export function resolveImage(map: ImageMap, image: string, root = repoRoot()): ResolvedImage | undefined {
  const { repository, tag } = parseImageRef(image);
  const base = repository.slice(repository.lastIndexOf('/') + 1);
  const candidates = [`${repository}:${tag}`, `${repository}:*`, `${base}:${tag}`, `${base}:*`];
  const entry = candidates.map((k) => map.get(k)).find((e) => e !== undefined);
  if (!entry) return undefined;
  const fill = (s: string): string =>
    s.replaceAll('${tag}', tag).replaceAll('${node}', process.execPath).replaceAll('${repoRoot}', root);
  return {
    command: entry.command.map(fill),
    env: Object.fromEntries(Object.entries(entry.env).map(([k, v]) => [k, fill(v)])),
  };
}
