// A hospital's page (#/hospitals/<id>): rooms near it, mentors affiliated with it and
// students rotating there in your weeks, shown only as each person's privacy allows.
import { html, useState } from "../vendor/preact-htm.js";
import { get } from "../api.js";
import { useSession } from "../session.js";
import {
  Empty, Loading, ShowMore, Verified, fmtDate, fmtKm, fmtPerMonth, hospitalLabel, professionLine, roomType, titleCase, useLoad,
} from "../ui.js";

const WHO = { nobody: "nobody", students: "students", professionals: "professionals", members: "every signed-in member" };

function Person({ p, peer }) {
  return html`<li class="card" aria-label=${p.display_name || "A Wardmate user"}>
    <h3><a href=${`#/users/${p.id}`}>${p.display_name || "A Wardmate user"}</a> <${Verified} verified=${p.verified} role=${peer ? "student" : "professional"} /></h3>
    ${peer ? html`<p>${p.specialty}, ${fmtDate(p.start_date)} to ${fmtDate(p.end_date)}</p>` : p.profession && html`<p>${professionLine(p.profession)}</p>`}
    ${p.reasons.length > 0 && html`<ul class="reasons">${p.reasons.map((r) => html`<li key=${r}>${r}</li>`)}</ul>`}
  </li>`;
}

// One list's later pages (mentors or peers, two lists of one reply), added below its first
// by ui.js's ShowMore (which reports a failed page); reset for another hospital.
function usePeoplePages(id, list, first) {
  const [more, setMore] = useState({ id, items: [], cursor: undefined });
  const mine = more.id === id ? more : { items: [], cursor: undefined };
  const cursor = mine.cursor === undefined ? first && first[`${list}_next_cursor`] : mine.cursor;
  async function nextPage() {
    const page = await get(`/hospitals/${id}/people`, { [`${list}_cursor`]: cursor });
    setMore({ id, items: [...mine.items, ...page[list]], cursor: page[`${list}_next_cursor`] });
  }
  return { items: mine.items, cursor, more: nextPage };
}

export function HospitalPage({ id }) {
  const { me } = useSession();
  const state = useLoad(() => get(`/hospitals/${id}/people`), [id]);
  const mentors = usePeoplePages(id, "mentors", state.data);
  const peers = usePeoplePages(id, "peers", state.data);
  return html`<section><${Loading} state=${state}>${(page) => html`
    <h1>${titleCase(page.hospital.name)}</h1>
    <p>${hospitalLabel(page.hospital)}. On this page you are shown to ${WHO[page.your_visibility]}${" "}
      (<a href="#/profile?focus=hospital_visibility">change who sees you</a>).</p>
    <section aria-labelledby="h-mentors"><h2 id="h-mentors">Mentors here</h2>
      ${page.mentors.length === 0 ? html`<${Empty}>No mentor affiliated with this hospital lets you see them yet.</${Empty}>`
        : html`<ul class="cards" aria-label="Mentors here">${[...page.mentors, ...mentors.items].map((p) => html`<${Person} key=${p.id} p=${p} />`)}</ul>
          <${ShowMore} list=${mentors} />`}
    </section>
    <section aria-labelledby="h-peers"><h2 id="h-peers">Students here in your weeks</h2>
      ${page.your_rotations === 0 ? html`<${Empty}>${me && me.user && me.user.role === "student"
          ? "Add a rotation at this hospital to see who rotates here at the same time."
          : "Students see each other here when their rotations at this hospital overlap: rotations are a student's."}</${Empty}>`
        : page.peers.length === 0 ? html`<${Empty}>Nobody rotating here in your weeks lets you see them yet.</${Empty}>`
        : html`<ul class="cards" aria-label="Students here">${[...page.peers, ...peers.items].map((p) => html`<${Person} key=${p.id} p=${p} peer=${true} />`)}</ul>
          <${ShowMore} list=${peers} />`}
    </section>
    <section aria-labelledby="h-rooms"><h2 id="h-rooms">Rooms nearby</h2>
      ${page.rooms.length === 0 ? html`<${Empty}>No rooms within 10 km yet.</${Empty}>`
        : html`<ul class="cards" aria-label="Rooms nearby">${page.rooms.map((r) => html`<li class="card" key=${r.id}>
          <h3><a href=${`#/listings/${r.id}`}>${r.title}</a></h3>
          <p>${roomType(r.room_type)} · ${fmtPerMonth(r.monthly_rent)} · ${fmtKm(r.km)}</p></li>`)}</ul>`}
    </section>`}<//></section>`;
}
