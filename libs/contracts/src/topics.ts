/**
 * Topic per aggregate: `<service>.<aggregate>.v<N>`, keyed by aggregate id.
 * Names never change once shipped; a breaking change is a new topic.
 */
export const Topics = {
  authUser: 'auth.user.v1',
  authEmailVerification: 'auth.email-verification.v1',
  authSigningKey: 'auth.signing-key.v1',
  authPasswordReset: 'auth.password-reset.v1',
  authFriendship: 'auth.friendship.v1',
  authDevice: 'auth.device.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly TopicName[] = Object.values(Topics);

/** Where a message that keeps failing goes, after bounded retries. */
export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** Topic settings the infrastructure creates them with. */
export const TopicConfig: Record<TopicName, { partitions: number; compacted?: boolean }> = {
  'auth.user.v1': { partitions: 3 },
  'auth.email-verification.v1': { partitions: 3 },
  // Latest key per kid must survive forever so a new service can always verify tokens.
  'auth.signing-key.v1': { partitions: 1, compacted: true },
  // Carries reset tokens: read only by notification-service.
  'auth.password-reset.v1': { partitions: 3 },
  'auth.friendship.v1': { partitions: 3 },
  // Carries push tokens: read only by notification-service.
  'auth.device.v1': { partitions: 3 },
};
