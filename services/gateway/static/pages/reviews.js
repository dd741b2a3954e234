// Reviews after completed stays (and of hosts who cancelled a stay): a listing's (by its
// guests), and a user's, received as a host (of every room they listed, archived ones
// too) or as a guest (by their hosts).
import { html, useState } from "../vendor/preact-htm.js";
import { get } from "../api.js";
import { Empty, Loading, titleCase, useLoad } from "../ui.js";

const monthName = (ym) => new Date(`${ym}-01T00:00:00`).toLocaleDateString("en-US", { year: "numeric", month: "long" });

/** "★ 4.5 from 2 reviews by guests", or null without reviews. */
export function ratingLine(rating, by) {
  if (!rating.count) return null;
  return `★ ${rating.average.toFixed(1)} from ${rating.count} review${rating.count === 1 ? "" : "s"} by ${by}`;
}

/** One review: its stars, the stay's month and hospital (or that the host cancelled it),
 * its text; `side` says who wrote it. */
function ReviewItem({ r, side }) {
  const by = side ? `From a ${r.author_role} · ` : "";
  const stay = r.stay_cancelled_by_host ? `booked for ${monthName(r.stay_month)}` : `stayed ${monthName(r.stay_month)}`;
  return html`<li>
    <p><strong><span aria-hidden="true">${"★".repeat(r.rating)}${"☆".repeat(5 - r.rating)}</span><span class="sr">${r.rating} out of 5</span></strong>${" · "}${by}${stay}${r.hospital_name ? `, rotating at ${titleCase(r.hospital_name)}` : ""}</p>
    ${r.stay_cancelled_by_host && html`<p class="notice">The host cancelled this stay</p>`}
    <p class="bio">${r.text}</p>
  </li>`;
}

/** A list of reviews from `path` (a listing's or a user's), `first` of them, then more on
 * demand; `head(firstPage)` renders above it (a user's averages). */
export function ReviewList({ path, params = {}, label, first = 5, side = false, none = "No reviews yet.", head }) {
  const [more, setMore] = useState([]);
  const state = useLoad(() => get(path, { ...params, limit: first }), [path, JSON.stringify(params)]);
  async function loadMore(cursor) {
    const page = await get(path, { ...params, limit: 20, cursor });
    setMore([...more, page]);
  }
  return html`<${Loading} state=${state}>${(firstPage) => {
    const all = [firstPage, ...more];
    const items = all.flatMap((p) => p.items);
    const next = all[all.length - 1].next_cursor;
    return html`${head && head(firstPage)}
      ${items.length === 0 ? none && html`<${Empty}>${none}</${Empty}>` : html`<ul class="plain reviews" aria-label=${label}>
        ${items.map((r) => html`<${ReviewItem} key=${r.id} r=${r} side=${side} />`)}</ul>`}
      ${next && html`<button type="button" class="secondary" onClick=${() => loadMore(next)}>More reviews</button>`}`;
  }}<//>`;
}

/** On a public profile: what guests wrote of the user as a host (all their rooms, archived
 * ones included) and hosts of them as a guest, with each side's average. */
export function UserReviews({ user }) {
  const host = user.role === "professional";
  const head = (page) => {
    const lines = [
      ratingLine(page.as_host, "guests") || (host ? "No reviews from guests yet." : null),
      ratingLine(page.as_guest, "hosts") || (host ? null : "No reviews from hosts yet."),
    ].filter(Boolean);
    return html`${lines.map((line) => html`<p>${line}</p>`)}`;
  };
  return html`<section aria-labelledby="user-reviews-h">
    <h2 id="user-reviews-h">Reviews</h2>
    <${ReviewList} path=${`/users/${user.id}/reviews`} label=${`Reviews of ${user.display_name}`} side=${true} none=${null} head=${head} />
  </section>`;
}

/** For a host deciding a request: what other hosts wrote of this guest, and its average. */
export function GuestReviews({ userId }) {
  const state = useLoad(() => get(`/users/${userId}/reviews`, { role: "guest", limit: 2 }), [userId]);
  if (!state.data) return null;
  const page = state.data;
  return html`<p class="hint">${ratingLine(page.as_guest, "hosts") || "No reviews from hosts yet."}</p>
    ${page.items.length > 0 && html`<ul class="plain reviews" aria-label="What hosts wrote of this guest">
      ${page.items.map((r) => html`<${ReviewItem} key=${r.id} r=${r} />`)}</ul>`}`;
}

/** On a listing's host card: the host's average over every room they listed. */
export function HostRating({ userId }) {
  const state = useLoad(() => get(`/users/${userId}/reviews`, { role: "host", limit: 1 }), [userId]);
  if (!state.data) return null;
  const line = ratingLine(state.data.as_host, "guests");
  return html`<p>${line ? `${line}, over all their rooms` : "No reviews from guests yet."}</p>`;
}
