import { buildIfStale } from './build-if-stale.ts';

// `npm start`: build the web app if needed, then run the one server process.
buildIfStale();
await import('../server/index.ts');
