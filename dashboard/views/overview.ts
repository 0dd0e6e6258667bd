/** The Overview view (being built in issue 15). */
import type { Me } from '../api.js';
import { html } from '../ui.js';

export function OverviewView(props: { arg: string | undefined; me: Me | undefined; generation: number }) {
  void props;
  return html`<section aria-labelledby="overview-title">
    <h2 id="overview-title">Overview</h2>
    <p class="muted">Not built yet.</p>
  </section>`;
}
