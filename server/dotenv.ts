import { existsSync } from 'node:fs';

// Imported first by server/index.ts: a `.env` file in the working folder (see .env.example) fills in
// variables the environment does not already set, before anything reads them.
if (existsSync('.env')) process.loadEnvFile('.env');
