import { ApiException, KubeConfig } from '@kubernetes/client-node';

/** A KubeConfig loaded from a file, optionally switched to a context (kubectl's --kubeconfig/--context). */
export function loadKubeConfig(file: string, context?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  if (context) kc.setCurrentContext(context);
  return kc;
}

/** HTTP status of a Kubernetes API error, or undefined for anything else (network errors, our bugs). */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The message of the Status a Kubernetes API error carries, not the client's whole HTTP dump. */
export function apiStatusMessage(err: unknown): string | undefined {
  if (!(err instanceof ApiException) || typeof err.body !== 'string') return undefined;
  try {
    const m = (JSON.parse(err.body) as { message?: unknown }).message;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `create`, treating 409 AlreadyExists as success: bootstrap steps are safe to repeat. */
export async function createIfMissing(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
  }
}
