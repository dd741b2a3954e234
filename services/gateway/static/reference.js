// The reference lists (specialties as residency applications name them, professional
// organizations), fetched once per page load, for fields to offer as choices.
import { html, useEffect, useState } from "./vendor/preact-htm.js";
import { get } from "./api.js";
import { cap, words } from "./ui.js";

let loading = null;

/** {specialties, organizations}, or null until loaded (free text works meanwhile). */
export function useReferenceLists() {
  const [lists, setLists] = useState(null);
  useEffect(() => {
    loading = loading || get("/reference-lists").catch(() => {
      loading = null;
      return null;
    });
    loading.then(setLists);
  }, []);
  return lists;
}

/** A <datalist id=...> of the specialty names, for an input's list attribute. */
export function SpecialtyOptions({ id }) {
  const lists = useReferenceLists();
  return html`<datalist id=${id}>${(lists ? lists.specialties : []).map((s) => html`<option key=${s.name} value=${s.name} />`)}</datalist>`;
}

/** Buttons that add a listed organization's initials to a comma-separated field. */
export function OrganizationChoices({ value, onAdd }) {
  const lists = useReferenceLists();
  if (!lists) return null;
  const chosen = new Set(value.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean));
  const left = lists.organizations.filter((o) => !chosen.has(o.code.toLowerCase()));
  return html`<details class="choices-more"><summary>Known organizations</summary>
    <ul class="chips" aria-label="Known organizations">${left.map((o) => html`<li key=${o.code}>
      <button type="button" class="secondary" title=${o.name} onClick=${() => onAdd(o.code)}>Add ${o.code}<span class="sr">, ${o.name}</span></button></li>`)}</ul>
  </details>`;
}

// Specialties and organizations as the reference lists name them ("cardiology" is
// "Cardiology", "amwa" is "AMWA"); the spellings folded as shared/reference.py's
// `normalise` folds them. Off the lists, as typed, in words.
const fold = (text) => String(text).toLowerCase().replace(/[\u2019']/g, "").replace(/[_\-/]/g, " ").replace(/&/g, " and ")
  .split(/\s+/).filter(Boolean).join(" ");
export function useListNames() {
  const lists = useReferenceLists();
  const specialties = new Map();
  const organizations = new Map();
  for (const s of lists ? lists.specialties : []) for (const spelling of [s.name, ...s.aliases]) specialties.set(fold(spelling), s.name);
  for (const o of lists ? lists.organizations : []) for (const spelling of [o.code, o.name]) organizations.set(fold(spelling), o.code);
  return {
    specialty: (text) => specialties.get(fold(text)) || cap(words(text)),
    organization: (text) => organizations.get(fold(text)) || text,
  };
}
