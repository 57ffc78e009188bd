/**
 * `services.<name>.argocd`: the Argo CD server that manages the service, the token to reach it, and the
 * Application (found from the Deployment's Argo CD tracking when not named). Owned by `--scenario argocd`;
 * compile-argocd.ts fills the defaults.
 *
 * The token is never written here, not even through ${VAR}: the file names the variable or file that holds it,
 * read only when a step runs, so a printed or journaled config can never carry it.
 */
import * as z from 'zod';
import { PositiveDuration } from './schema-duration.js';

// Credentials in a URL never reach a message: the part before `@` is masked.
const show = (value: unknown): string =>
  typeof value === 'string'
    ? JSON.stringify(value.replace(/^([a-z]+:\/\/)?[^/@]*@/i, '$1****@'))
    : value === undefined
      ? 'nothing'
      : String(value);

/** `host:port` as the argocd CLI's ARGOCD_SERVER has it, or an http(s) URL. */
const Server = z.string().regex(/^(?:https?:\/\/)?[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[^\s@]*)?$/, {
  error: (iss) =>
    `expected the Argo CD server as host:port (ARGOCD_SERVER) or an http(s) URL, without credentials, got ${show(iss.input)}`,
});

const EnvVarName = z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, {
  error: (iss) =>
    `expected an environment variable name like ARGOCD_AUTH_TOKEN, got ${JSON.stringify(iss.input)}`,
});

/** An Application name: a Kubernetes object name. */
const AppName = z
  .string()
  .regex(/^[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?$/, {
    error: (iss) => `expected an Application name (a lowercase DNS-1123 name), got ${show(iss.input)}`,
  })
  .max(253);

/**
 * `--git-revert`: where and as whom the revert commit is pushed. Credentials are paths (a token file, an SSH
 * key file), never values; with neither, git uses what the machine has (its credential helper, ssh agent).
 */
export const ArgoCdGitSettings = z
  .strictObject({
    url: z.string().min(1).optional().meta({
      description:
        'Where to push the revert (default: the Application’s spec.source.repoURL), e.g. an SSH URL when Argo CD reads over HTTPS',
    }),
    authorName: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'The revert commit’s author', default: 'Ripcord' }),
    authorEmail: z
      .string()
      .regex(/^[^\s<>@]+@[^\s<>@]+$/, { error: (iss) => `expected an email address, got ${show(iss.input)}` })
      .optional()
      .meta({ description: 'The revert commit’s author email', default: 'ripcord@localhost' }),
    tokenFile: z.string().min(1).optional().meta({
      description: 'File holding an HTTPS token (sent as basic auth), relative to this file',
    }),
    username: z.string().min(1).optional().meta({
      description: 'The basic-auth user name sent with the token (GitHub: x-access-token, GitLab: oauth2)',
      default: 'x-access-token',
    }),
    sshKeyFile: z.string().min(1).optional().meta({
      description: 'SSH private key file for an ssh:// or git@ URL, relative to this file',
    }),
    timeout: PositiveDuration.optional().meta({
      default: '60s',
      description: 'How long each git command (fetch, push) may take',
    }),
  })
  .refine((g) => !(g.tokenFile && g.sshKeyFile), {
    error: 'give tokenFile or sshKeyFile, not both',
    path: ['sshKeyFile'],
  });
export type ArgoCdGitSettings = z.infer<typeof ArgoCdGitSettings>;

export const ArgoCdSettings = z.strictObject({
  server: Server.meta({
    description: 'The Argo CD API server: host:port (as ARGOCD_SERVER) or an http(s) URL',
    examples: ['${ARGOCD_SERVER}', 'https://argocd.example.com'],
  }),
  plaintext: z.boolean().optional().meta({
    description: 'Plain HTTP to a host:port server (argocd --plaintext); URLs say their own scheme',
    default: false,
  }),
  tokenEnv: EnvVarName.optional().meta({
    description: 'Environment variable holding an Argo CD API token',
    default: 'ARGOCD_AUTH_TOKEN',
  }),
  tokenFile: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'File holding the token, relative to this file; wins over tokenEnv' }),
  application: AppName.optional().meta({
    description:
      'The Application (default: from the Deployment’s argocd.argoproj.io/tracking-id annotation or app.kubernetes.io/instance label)',
  }),
  appNamespace: AppName.optional().meta({
    description: 'The namespace the Application lives in (default: Argo CD’s own, or the tracking’s)',
  }),
  syncTimeout: PositiveDuration.optional().meta({
    default: '5m',
    description: 'How long the rollback’s sync may take to succeed and the app to become Healthy',
  }),
  requestTimeoutMs: z.int().positive().optional().meta({
    description: 'Per-request timeout of the Argo CD API',
    default: 10000,
  }),
  git: ArgoCdGitSettings.optional().meta({
    description: '`rollback --git-revert`: the push URL, the commit’s author and the git credentials (paths)',
  }),
});
export type ArgoCdSettings = z.infer<typeof ArgoCdSettings>;
