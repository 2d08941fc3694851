import { buildIfStale } from './build-if-stale.ts';

// `npm start`: build the web app if needed, then run the one server process.
try {
	buildIfStale();
} catch (error) {
	console.error(String(error));
	process.exit(1);
}
await import('../server/index.ts');
