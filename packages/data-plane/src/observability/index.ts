export { createObserver, type Observer, type ObserverDeps } from './create-observer';
export { logUnattributed, requestLogger } from './request-log';
export { routeLabel } from './route-label';
