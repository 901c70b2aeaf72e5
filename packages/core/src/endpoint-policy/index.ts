export * from './ip-address';
export * from './classify-address';
export * from './endpoint-policy.schema';
export * from './check-endpoint';
