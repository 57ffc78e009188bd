import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Credentials of one sandbox: service-account signing keys and the admin bearer token. Made once, reused. */
export interface SandboxPki {
  saKey: string;
  saPub: string;
  tokenFile: string;
  adminToken: string;
  certDir: string;
}

export function ensurePki(pkiDir: string): SandboxPki {
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  const saKey = join(pkiDir, 'sa.key');
  const saPub = join(pkiDir, 'sa.pub');
  const tokenFile = join(pkiDir, 'tokens.csv');
  if (!existsSync(saKey)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(saKey, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    writeFileSync(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
  }
  if (!existsSync(tokenFile)) {
    const token = randomBytes(24).toString('hex');
    // Static token file format: token,user,uid,"group1,group2".
    writeFileSync(tokenFile, `${token},sandbox-admin,sandbox-admin,"system:masters"\n`, { mode: 0o600 });
  }
  const adminToken = readFileSync(tokenFile, 'utf8').split(',')[0] ?? '';
  return { saKey, saPub, tokenFile, adminToken, certDir: join(pkiDir, 'serving') };
}
