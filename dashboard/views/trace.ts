/** The Trace view (being built in issue 15). */
import type { Me } from '../api.js';
import { html } from '../ui.js';

export function TraceView(props: { arg: string | undefined; me: Me | undefined; generation: number }) {
  void props;
  return html`<section aria-labelledby="trace-title">
    <h2 id="trace-title">Trace</h2>
    <p class="muted">Not built yet.</p>
  </section>`;
}
