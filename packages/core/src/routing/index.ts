export * from './route-name';
export * from './cooldown';
export * from './retry-verdict';
export * from './pick-entry';
export * from './snapshot-index';
export * from './resolve-route';
export * from './alias-index';
