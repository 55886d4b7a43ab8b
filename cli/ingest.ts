import { runUntilSignal } from './services.js';

// npm run ingest: the HTTP receiver alone; with KAFKA_BROKERS it writes only to Kafka.
await runUntilSignal({ ingest: true, processor: false });
