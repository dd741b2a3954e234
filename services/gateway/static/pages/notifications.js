// Notifications, newest first, live; opening the page marks them read.
import { html, useEffect } from "../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { useLive, useSession } from "../session.js";
import { Empty, Loading, ShowMore, fmtTime, sentence, useLoad, useMore } from "../ui.js";

// Every payment notice (a refused card, a refund, a release, money taken back, a payment
// overdue) carries its booking: the receipt shows the payment, and to the guest the
// button to pay what is due. It wins over the conversation an overdue notice also carries.
// A mentorship's acceptance and its plan's notices (meetings, goals, notes, check-ins) open
// the plan, where the reader acts on them; an accepted stay opens its payment, the next step.
// Both win over the conversation the acceptances also carry. A letter's notice opens its
// request, where the writer accepts, submits or declines it; a suggested mentor the
// rotation's page, which lists its matches (a suggested room opens the room). Notices
// stored before they carried these ids keep the lists.
const PLAN_KINDS = new Set(["mentorship_accepted", "check_in_due", "plan_updated"]);
function target(n) {
  // A payment due soon opens where it is paid; the other payments' notices the receipt.
  if (n.kind === "payment_due_soon" && n.booking_id) return `#/bookings/${n.booking_id}/pay`;
  if (n.kind.startsWith("payment_") && n.booking_id) return `#/bookings/${n.booking_id}/receipt`;
  if (n.mentorship_id && (PLAN_KINDS.has(n.kind) || n.kind.startsWith("meeting_"))) return `#/mentorships/${n.mentorship_id}`;
  if (n.kind === "booking_accepted" && n.booking_id) return `#/bookings/${n.booking_id}/pay`;
  // A request opens its card, where Accept and Decline are (as its mail does), not the
  // conversation it also carries.
  if (n.kind === "booking_requested" && n.booking_id) return `#/bookings?booking=${n.booking_id}`;
  // New dates asked for, and accepted: the stay's card (its Accept and Decline, its dates now).
  if ((n.kind === "booking_shift_requested" || n.kind === "booking_shifted") && n.booking_id) return `#/bookings?booking=${n.booking_id}`;
  if ((n.kind === "booking_confirmed" || n.kind === "check_in_soon") && n.booking_id) return `#/bookings?booking=${n.booking_id}`;
  // A stay to review: its card, where "Review this stay" is (the conversation has none).
  if (n.kind === "review_invitation" && n.booking_id) return `#/bookings?booking=${n.booking_id}`;
  if (n.kind === "mentorship_requested") return "#/mentorships";
  // Nights taken by another stay are free again: the room, to ask for them again.
  if (n.kind === "booking_nights_freed" && n.listing_id) return `#/listings/${n.listing_id}${n.booking_id ? `?booking=${n.booking_id}` : ""}`;
  if (n.conversation_id) return `#/inbox/${n.conversation_id}`;
  // The stay booked for a rotation that moved: its form to ask the host for new dates.
  if (n.kind === "rotation_moved" && n.booking_id) return `#/bookings?shift=${n.booking_id}`;
  if (n.kind.startsWith("booking") || n.kind === "review_invitation") return "#/bookings";
  if (n.kind.startsWith("mentorship") || n.kind.startsWith("meeting") || n.kind === "check_in_due" || n.kind === "plan_updated") return "#/mentorships";
  if (n.kind.startsWith("letter")) return n.letter_id ? `#/letters/${n.letter_id}` : "#/letters";
  // A room suggested for a rotation opens with the rotation's dates filled in.
  if (n.listing_id && n.rotation_id) return `#/listings/${n.listing_id}?rotation=${n.rotation_id}`;
  if (n.listing_id) return `#/listings/${n.listing_id}`;
  if (n.kind === "match_suggested") return n.rotation_id ? `#/rotations/${n.rotation_id}` : "#/rotations";
  // A verification's outcome: the documents (and the badge) are on the profile page.
  if (n.kind === "user_verified" || n.kind === "document_rejected" || n.kind === "credential_rejected") return "#/profile";
  return null;
}

export function Notifications() {
  const { refreshUnread } = useSession();
  const state = useLoad(() => get("/notifications", { limit: 50 }), []);
  const list = useMore(state, (cursor) => get("/notifications", { limit: 50, cursor }));
  useLive(["notification"], () => state.reload());
  // Read up to the newest shown: one that arrives after the page's read is not marked
  // read unseen (it comes with the live reload, which marks it in turn).
  useEffect(() => {
    const items = state.data ? state.data.items : [];
    if (items.some((n) => !n.read)) post("/notifications/read", { up_to: items[0].id }).then(refreshUnread, () => {});
  }, [state.data]);
  return html`<section>
    <h1>Notifications</h1>
    <${Loading} state=${state}>${() => list.items.length === 0 ? html`<${Empty}>No notifications yet. Booking requests and answers, payments, mentorship requests and rooms that fit your rotations appear here.</${Empty}>`
      : html`<ul class="notifications" aria-label="Notifications">${list.items.map((n) => {
          const link = target(n);
          return html`<li key=${n.id} class=${n.read ? "" : "unread"}>
            ${!n.read && html`<span class="sr">Unread: </span>`}
            ${link ? html`<a href=${link} dir="auto">${sentence(n.text)}</a>` : html`<span dir="auto">${sentence(n.text)}</span>`}
            <span class="meta">${fmtTime(n.created_at)}</span>
          </li>`;
        })}</ul>
        <${ShowMore} list=${list} label="Older notifications" />`}<//>
  </section>`;
}
