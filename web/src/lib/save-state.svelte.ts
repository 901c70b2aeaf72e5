/**
 * Whether a form's save is in flight: its submit button is disabled and says "Saving…" until the
 * save settles, whether it succeeded or threw (the form shows the error; the button comes back).
 */
export class SaveState {
  active = $state(false);

  async run(save: () => Promise<void>): Promise<void> {
    this.active = true;
    try {
      await save();
    } finally {
      this.active = false;
    }
  }
}
