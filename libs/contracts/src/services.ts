/** The deployables and their default local ports (README "Ports"). */
export const ServicePorts = {
  'api-gateway': 8080,
  'auth-service': 3001,
  'group-service': 3002,
  'expense-service': 3003,
  'payment-service': 3004,
  'analytics-service': 3005,
  'notification-service': 3006,
  'notification-worker': 3016,
} as const;
export type ServiceName = keyof typeof ServicePorts;

/** JWT claims of an access token. */
export const JwtDefaults = { issuer: 'tally-auth', audience: 'tally-api', accessTokenType: 'access' } as const;

export interface AccessTokenClaims {
  sub: string;
  iss: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  typ: 'access';
  role: 'user' | 'premium' | 'admin';
  username: string;
}
