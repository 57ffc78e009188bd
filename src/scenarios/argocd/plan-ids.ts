/** Step ids the argocd plans share with what reads their journals (gitops-resume.ts finds the pauses by them). */

/** The step id of the pause of the `level`th parent (1: the Application that renders the service's). */
export const parentPauseId = (level: number): string => `pause-parent-auto-sync-${level}`;

/** The step id of the restore of the `level`th parent's sync policy. */
export const parentResumeId = (level: number): string => `resume-parent-auto-sync-${level}`;
