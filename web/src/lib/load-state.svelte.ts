import { toFailure } from './issues';

/**
 * A page's load in flight and its last failure: `loading` disables the controls that would start
 * another, `error` is the banner's text until a load succeeds.
 */
export class LoadState {
  loading = $state(false);
  error = $state('');

  async run(load: () => Promise<void>): Promise<void> {
    this.loading = true;
    try {
      await load();
      this.error = '';
    } catch (e) {
      this.error = toFailure(e).message;
    } finally {
      this.loading = false;
    }
  }
}
