/** The Dead letters view (being built in issue 15). */
import type { Me } from '../api.js';
import { html } from '../ui.js';

export function DeadLettersView(props: { arg: string | undefined; me: Me | undefined; generation: number }) {
  void props;
  return html`<section aria-labelledby="dead-letters-title">
    <h2 id="dead-letters-title">Dead letters</h2>
    <p class="muted">Not built yet.</p>
  </section>`;
}
