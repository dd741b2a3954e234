// Operators' mentoring outcomes (#/admin/mentoring): counts per hospital and month with a
// chart, and the pairs that stalled (no meeting held 14 days after acceptance).
import { html, useState } from "../vendor/preact-htm.js";
import { get } from "../api.js";
import { Empty, Field, Loading, ShowMore, fmtDay, titleCase, useLoad, useMore } from "../ui.js";

const COLUMNS = [
  ["mentorships_requested", "Mentorships requested"],
  ["mentorships_accepted", "accepted"],
  ["meetings_held", "Meetings held"],
  ["check_ins", "Check-ins"],
  ["check_in_average", "Average usefulness"],
  ["letters_requested", "Letters requested"],
  ["letters_accepted", "accepted"],
  ["letters_submitted", "submitted"],
];

export function Outcomes() {
  const [months, setMonths] = useState("6");
  const state = useLoad(() => get("/admin/mentoring/outcomes", { months }), [months]);
  const stalled = useLoad(() => get("/admin/mentoring/stalled"), []);
  const pairs = useMore(stalled, (cursor) => get("/admin/mentoring/stalled", { cursor }), (p) => p.mentorship_id);
  return html`<section>
    <h1>Mentoring outcomes</h1>
    <p><a href="#/admin">Operators</a> · Counts only: no one's check-in answers or letters are shown here; an average needs 3 answers or more.</p>
    <${Field} as="select" label="Months" name="months" value=${months} onChange=${(e) => setMonths(e.currentTarget.value)}>
      ${["3", "6", "12", "24"].map((m) => html`<option key=${m} value=${m}>Last ${m} months</option>`)}
    <//>
    <${Loading} state=${state}>${(o) => html`
      <img class="chart" src=${`data:image/svg+xml;charset=utf-8,${encodeURIComponent(o.chart_svg)}`}
        alt="Bar chart: mentorships accepted, meetings held and letters submitted by month" />
      <p>${o.stalled_pairs} stalled pair${o.stalled_pairs === 1 ? "" : "s"} now.</p>
      ${o.rows.length === 0 ? html`<${Empty}>Nothing in these months yet.</${Empty}>` : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Outcomes table"><table aria-label="Outcomes by hospital and month">
        <thead><tr><th scope="col">Month</th><th scope="col">Hospital</th>${COLUMNS.map(([k, label]) => html`<th scope="col" key=${k}>${label}</th>`)}</tr></thead>
        <tbody>${o.rows.map((r) => html`<tr key=${`${r.month}-${r.hospital_id}`}>
          <td>${r.month}</td><td>${r.hospital_name ? titleCase(r.hospital_name) : "No hospital known"}</td>
          ${COLUMNS.map(([k]) => html`<td key=${k}>${r[k] === null ? "—" : r[k]}</td>`)}
        </tr>`)}</tbody>
      </table></div>`}`}<//>
    <section aria-labelledby="stalled-h">
      <h2 id="stalled-h">Stalled pairs</h2>
      <${Loading} state=${stalled}>${(page) => page.items.length === 0 ? html`<${Empty}>No stalled pairs.</${Empty}>`
        : html`<p>${page.total} stalled, longest first.</p>
        <ul aria-label="Stalled pairs">${pairs.items.map((p) => html`<li key=${p.mentorship_id}>
          <a href=${`#/users/${p.student_id}`}>Student</a> and <a href=${`#/users/${p.mentor_id}`}>mentor</a>:
          accepted ${fmtDay(p.accepted_at)}, ${p.days} days without a meeting held</li>`)}</ul>
        <${ShowMore} list=${pairs} />`}<//>
    </section>
  </section>`;
}
