import { readConfig } from '../src/lib/server/env.ts';
import { migrate } from '../src/lib/server/migrate.ts';

// `npm run migrate`: apply pending migrations to DATABASE_URL (the server also does this at start).
const config = readConfig();
if (!config.databaseUrl) {
	console.error('DATABASE_URL is not set. The embedded database is migrated by `npm start` itself.');
	process.exit(1);
}
const applied = await migrate(config.databaseUrl, { log: (line) => console.log(line) });
console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Nothing to apply: the schema is up to date.');
