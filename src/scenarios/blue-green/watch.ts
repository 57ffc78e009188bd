/**
 * The watch's view of a blue-green service: the colour the Service selects is the release under watch, from the
 * moment the watch saw the selector switch to it, against the other colour's pods before that moment (they
 * served until the switch). The rollback the watch plans is the switch back.
 */
import { blueGreenReleaseOf } from '../../core/detect/release.js';
import type { ScenarioWatch } from '../types.js';
import { snapshotIfExists } from '../existing-deployment.js';
import { colours } from './plan.js';
import { requireBlueGreen } from './scenario.js';

export const blueGreenWatch: ScenarioWatch = {
  async observe(ctx) {
    const s = requireBlueGreen(ctx);
    const ns = ctx.service.kube.namespace;
    const svc = await ctx.ports.services.read(ns, s.service);
    const { live, target } = colours(s, svc.selector);
    const liveName = s.colours[live] ?? '';
    const otherName = s.colours[target] ?? '';
    const [liveSnap, otherSnap] = await Promise.all([
      ctx.kube.snapshot(ns, liveName),
      // The other colour may be gone (deleted after a release): then there is no baseline, not an error.
      snapshotIfExists(ctx.kube, ns, otherName),
    ]);
    return {
      release: (seenAt) => blueGreenReleaseOf(liveSnap, otherSnap, seenAt),
      // A switch is one write; the live colour was Ready before it, so it is judged from the switch on.
      inProgress: false,
    };
  },
  planOptions: () => ({}),
};
