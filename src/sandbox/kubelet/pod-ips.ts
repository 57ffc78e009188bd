/**
 * Pod IPs on the loopback network: `${podNetwork}.a.b` (e.g. 127.42.0.2). All of 127.0.0.0/8 reaches the
 * loopback interface on Linux, so every pod can bind its containerPort on its own address, as in a cluster.
 */
export class PodIpPool {
  private readonly byUid = new Map<string, string>();
  private readonly inUse = new Set<string>();
  /** Addresses are handed out round-robin rather than lowest-free, so a deleted pod's IP is not reused at
   * once: clients still holding connections or cached endpoints to it then fail instead of reaching a
   * different pod. */
  private next = 2;

  constructor(private readonly podNetwork: string) {
    if (!/^127\.\d{1,3}$/.test(podNetwork))
      throw new Error(`pod network must look like 127.N, got ${podNetwork}`);
  }

  /** This pod's address: `preferred` when it is ours and free (a pod keeps its IP across a kubelet
   * restart), else the next free one. */
  allocate(uid: string, preferred?: string): string {
    const have = this.byUid.get(uid);
    if (have) return have;
    let ip = preferred && this.contains(preferred) && !this.inUse.has(preferred) ? preferred : undefined;
    for (let tries = 0; !ip && tries < 65_536; tries++) {
      const n = this.next;
      this.next = n >= 65_534 ? 2 : n + 1;
      const a = n >> 8;
      const b = n & 255;
      if (b === 0 || b === 255) continue;
      const candidate = `${this.podNetwork}.${a}.${b}`;
      if (!this.inUse.has(candidate)) ip = candidate;
    }
    if (!ip) throw new Error(`pod network ${this.podNetwork}.0.0/16 is full`);
    this.byUid.set(uid, ip);
    this.inUse.add(ip);
    return ip;
  }

  release(uid: string): void {
    const ip = this.byUid.get(uid);
    if (!ip) return;
    this.byUid.delete(uid);
    this.inUse.delete(ip);
  }

  contains(ip: string): boolean {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
    if (!m || `${m[1]}.${m[2]}` !== this.podNetwork) return false;
    const b = Number(m[4]);
    return Number(m[3]) <= 255 && b > 0 && b < 255;
  }
}
