import type { PageServerLoad } from './$types';
import { recentOverviewReport, reportQuery } from '$lib/server/reports';
import { services } from '$lib/server/services';
import { floorReport } from '$lib/server/floor';
import { workspaceScope } from '../scope';

/** The dashboard's first figures, for `?period=today|7d|30d` (anything else: the last 7 days). Any member. */
export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const parsed = reportQuery.safeParse({ period: event.url.searchParams.get('period') ?? undefined });
	const period = parsed.success ? parsed.data.period : '7d';
	const [report, floor] = await Promise.all([recentOverviewReport(services().db, scope, { period }), floorReport(services().db, scope)]);
	return { report, floor };
};
