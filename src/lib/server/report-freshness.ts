/**
 * Which workspaces' dashboard figures changed since a cached report was made. The workspace feed
 * (collab/feed.ts) counts a change here on every instance when it tells browsers the figures
 * moved, so the short-lived report cache (reports.ts `recentOverviewReport`) never answers the
 * read that follows with figures from before the change.
 *
 * Kept on globalThis: the routes are bundled with their own copy of src/lib.
 */
const KEY = Symbol.for('chatmai.reportGenerations');
type Holder = { [KEY]?: Map<string, number> };
const holder = globalThis as Holder;

function generations(): Map<string, number> {
	return (holder[KEY] ??= new Map());
}

/** The workspace's figures may have changed. */
export function reportsChanged(workspaceId: string): void {
	const map = generations();
	map.set(workspaceId, (map.get(workspaceId) ?? 0) + 1);
}

/** Grows with every change of the workspace's figures. */
export function reportGeneration(workspaceId: string): number {
	return generations().get(workspaceId) ?? 0;
}
