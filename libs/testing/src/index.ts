export * from './infra';
export * from './smtp';
export * from './eventually';
export * from './ports';
export * from './system';
export * from './stripe-server';
export * from './push-endpoint';
export * from './sms-server';
