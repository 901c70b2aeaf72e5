export * from './discover-models.processor';
