import './dotenv.ts';
import { readConfig, ConfigError } from '../src/lib/server/env.ts';
import { logger, errorMessage } from '../src/lib/server/log.ts';
import { startApp } from './app.ts';

/**
 * The one process: SvelteKit, the collab WebSocket on /collab, the webhook routes on /webhooks/,
 * and the background workers, on one port. See server/README.md.
 */
const log = logger('server');

// Production unless told otherwise, for ChatMai (src/lib/server/env.ts) and its libraries alike.
process.env.NODE_ENV ||= 'production';

let config;
try {
	config = readConfig();
} catch (error) {
	if (error instanceof ConfigError) {
		console.error(error.message);
		process.exit(1);
	}
	throw error;
}

const app = await startApp(config).catch((error) => {
	log.error('start_failed', { error: errorMessage(error) });
	process.exit(1);
});
// A plain line for the person who typed `npm start`; the JSON log line above is for machines.
console.log(`\n  ChatMai is running: open ${config.origin ?? app.url.replace('://127.0.0.1:', '://localhost:')}\n`);

let signals = 0;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
	process.on(signal, () => {
		if (++signals > 1) process.exit(1);
		log.info('draining', { signal });
		app.close().then(
			() => process.exit(0),
			(error) => {
				log.error('drain_failed', { error: errorMessage(error) });
				process.exit(1);
			}
		);
	});
}
