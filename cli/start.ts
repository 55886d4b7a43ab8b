import { runUntilSignal } from './services.js';

// npm start: ingest and processing in one process (embedded chdb unless configured otherwise).
await runUntilSignal({ ingest: true, processor: true });
