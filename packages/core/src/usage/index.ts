export * from './compute-cost-micros';
export * from './plan-budget';
