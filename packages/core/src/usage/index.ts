export * from './compute-cost-micros';
export * from './plan-budget';
export * from './limits.schema';
export * from './bound-attempts';
