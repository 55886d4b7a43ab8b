/** Every topic the pipeline uses, with its dead-letter topic beside it. Names get KAFKA_TOPIC_PREFIX. */
export const topicNames = {
  decisions: 'veriff.decisions.v1',
  events: 'veriff.events.v1',
  consents: 'consents.v1',
  quarantine: 'ingest.quarantine.v1',
  rejections: 'ingest.rejections.v1',
  deadLetters: 'processor.dead-letters.v1',
} as const;

export type TopicKind = keyof typeof topicNames;
export type Topics = Readonly<Record<TopicKind, string>>;

export function topicsFor(prefix: string): Topics {
  return Object.freeze(
    Object.fromEntries(Object.entries(topicNames).map(([kind, name]) => [kind, `${prefix}${name}`])) as Record<
      TopicKind,
      string
    >,
  );
}
