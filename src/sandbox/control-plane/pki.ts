import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Credentials of one sandbox: service-account signing keys and the admin bearer token. Made once, reused. */
export interface SandboxPki {
  saKey: string;
  saPub: string;
  tokenFile: string;
  adminToken: string;
  certDir: string;
  /** The sandbox CA: it signs the two certificates below; the kubelet trusts client certificates it signed. */
  caCert: string;
  /** kube-apiserver's client certificate towards kubelets (`--kubelet-client-certificate`), CN as kubeadm's. */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /** The sandbox kubelet's serving certificate (IP SAN 127.0.0.1, the node's InternalIP). */
  kubeletServingCert: string;
  kubeletServingKey: string;
}

/** The apiserver's identity at the kubelet, as kubeadm names it (in system:masters, as kubeadm's is). */
export const KUBELET_CLIENT_CN = 'kube-apiserver-kubelet-client';

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
  const certs = ensureKubeletCerts(pkiDir);
  return { saKey, saPub, tokenFile, adminToken, certDir: join(pkiDir, 'serving'), ...certs };
}

/**
 * A CA and the two certificates of the apiserver -> kubelet connection (`kubectl logs`), made once with the
 * openssl CLI (Node can verify certificates but not issue them). A sandbox made before these existed gets them
 * on its next `up`. ECDSA P-256 keys: quick to make, and both Go and Node speak them.
 */
function ensureKubeletCerts(pkiDir: string) {
  const f = (name: string) => join(pkiDir, name);
  const out = {
    caCert: f('ca.crt'),
    kubeletClientCert: f('apiserver-kubelet-client.crt'),
    kubeletClientKey: f('apiserver-kubelet-client.key'),
    kubeletServingCert: f('kubelet.crt'),
    kubeletServingKey: f('kubelet.key'),
  };
  const caKey = f('ca.key');
  if (Object.values(out).every((p) => existsSync(p)) && existsSync(caKey)) return out;
  const tmp = join(pkiDir, `.new-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { mode: 0o700 });
  const t = (name: string) => join(tmp, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl([
      'req', '-x509', ...ec, '-keyout', t('ca.key'), '-out', t('ca.crt'), '-days', '3650',
      '-subj', '/CN=ripcord-sandbox-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]); // prettier-ignore
    const leaf = (name: string, subject: string, extensions: string[]) => {
      openssl([
        'req',
        '-new',
        ...ec,
        '-keyout',
        t(`${name}.key`),
        '-out',
        t(`${name}.csr`),
        '-subj',
        subject,
      ]);
      writeFileSync(t(`${name}.ext`), ['basicConstraints=CA:FALSE', ...extensions].join('\n') + '\n');
      openssl([
        'x509', '-req', '-in', t(`${name}.csr`), '-CA', t('ca.crt'), '-CAkey', t('ca.key'),
        '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '3650', '-sha256',
        '-extfile', t(`${name}.ext`), '-out', t(`${name}.crt`),
      ]); // prettier-ignore
    };
    leaf('apiserver-kubelet-client', `/O=system:masters/CN=${KUBELET_CLIENT_CN}`, [
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ]);
    leaf('kubelet', '/CN=sandbox-kubelet', [
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    // Keys last-but-one, the CA certificate last: a crash halfway leaves an incomplete set, made again next time.
    for (const name of ['apiserver-kubelet-client', 'kubelet']) {
      renameSync(t(`${name}.key`), f(`${name}.key`));
      renameSync(t(`${name}.crt`), f(`${name}.crt`));
    }
    renameSync(t('ca.key'), caKey);
    renameSync(t('ca.crt'), out.caCert);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') {
      throw new Error(
        'the sandbox PKI needs the openssl command (Debian package openssl); run scripts/setup.sh',
      );
    }
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? String(err)}`);
  }
}
