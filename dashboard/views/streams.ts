/** The Streams view (being built in issue 15). */
import type { Me } from '../api.js';
import { html } from '../ui.js';

export function StreamsView(props: { arg: string | undefined; me: Me | undefined; generation: number }) {
  void props;
  return html`<section aria-labelledby="streams-title">
    <h2 id="streams-title">Streams</h2>
    <p class="muted">Not built yet.</p>
  </section>`;
}
