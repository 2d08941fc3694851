import { api, requireScope } from '$lib/server/http/api';
import { recentOverviewReport, reportQuery } from '$lib/server/reports';
import { services } from '$lib/server/services';

/** The dashboard's figures: `?period=today|7d|30d` (default 7d), in the workspace's time zone. Any member. */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const { period } = reportQuery.parse({ period: event.url.searchParams.get('period') ?? undefined });
	return recentOverviewReport(services().db, scope, { period });
});
