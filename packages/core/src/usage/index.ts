export * from './compute-cost-micros';
