/** The Groups view (being built in issue 15). */
import type { Me } from '../api.js';
import { html } from '../ui.js';

export function GroupsView(props: { arg: string | undefined; me: Me | undefined; generation: number }) {
  void props;
  return html`<section aria-labelledby="groups-title">
    <h2 id="groups-title">Groups</h2>
    <p class="muted">Not built yet.</p>
  </section>`;
}
