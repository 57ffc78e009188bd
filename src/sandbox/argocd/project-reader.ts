/** Reads an AppProject of the Argo CD stand-in, for the controller and the API server alike. */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { apiStatus } from '../kube-clients.js';
import { ARGOCD_GROUP, ARGOCD_NAMESPACE, ARGOCD_VERSION } from './application.js';

/** The AppProject `name` in Argo CD's namespace, or null: a project that is not there has no windows. */
export function projectReader(custom: CustomObjectsApi): (name: string) => Promise<unknown> {
  return async (name) => {
    try {
      return await custom.getNamespacedCustomObject({
        group: ARGOCD_GROUP,
        version: ARGOCD_VERSION,
        plural: 'appprojects',
        namespace: ARGOCD_NAMESPACE,
        name,
      });
    } catch (err) {
      if (apiStatus(err) === 404) return null;
      throw err;
    }
  };
}
