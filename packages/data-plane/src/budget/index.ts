export * from './budget-guard';
