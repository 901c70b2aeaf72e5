export { createObserver, type Observer, type ObserverDeps } from './create-observer';
export { routeLabel } from './route-label';
