export { createObserver, type Observer, type ObserverDeps } from './create-observer';
export { logUnattributed } from './request-log';
export { routeLabel } from './route-label';
