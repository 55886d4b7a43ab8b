import { runUntilSignal } from './services.js';

// npm run processor: Kafka consumers writing to ClickHouse.
await runUntilSignal({ ingest: false, processor: true });
