// The web client's entry: the session, the live feed, the unread badges, the header and
// the hash router. Pages live in ./pages/*.js and talk only to the REST API (./api.js)
// and the live feed (./live.js).
import { html, render, useEffect, useRef, useState } from "./vendor/preact-htm.js";
import { Session } from "./session.js";
import { get, onBusy, onUnauthorized, post } from "./api.js";
import * as live from "./live.js";
import { Badge, focusHeading, parseHash } from "./ui.js";
import { Login, Signup, sayOnLogin } from "./pages/auth.js";
import { Profile, PublicProfile } from "./pages/profile.js";
import { Home, RotationPage, Rotations } from "./pages/rotations.js";
import { Search } from "./pages/search.js";
import { ListingPage } from "./pages/listings.js";
import { ListingEdit, MyListings } from "./pages/rooms.js";
import { Bookings } from "./pages/bookings.js";
import { PayPage, Payouts, ReceiptPage } from "./pages/payments.js";
import { ConversationPage, Inbox } from "./pages/inbox.js";
import { Mentorships } from "./pages/mentorships.js";
import { PlanPage } from "./pages/plan.js";
import { LetterPage, Letters } from "./pages/letters.js";
import { HospitalPage } from "./pages/hospital.js";
import { Outcomes } from "./pages/outcomes.js";
import { Notifications } from "./pages/notifications.js";
import { Admin } from "./pages/admin.js";
import { RoundPage, Rounds } from "./pages/rounds.js";
import { ConfirmEmail, ForgotPassword, ResetPassword, Settings, Unsubscribe, VerifyBanner, VerifyEmail } from "./pages/account.js";

function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const onHash = () => {
      setRoute(parseHash());
      window.scrollTo(0, 0);
      focusHeading();
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  return route;
}

/** A page typed in by someone whose role has none (the menu offers it only to the others):
 * what it is and where theirs is, rather than an empty list whose forms answer "forbidden". */
const notYours = (title, text) => html`<section><h1>${title}</h1><p role="status">${text}</p></section>`;
const operatorsElsewhere = (title) => notYours(title, html`Operators have no ${title.toLowerCase()} of their own.
  Pairs and letters per hospital and month are on <a href="#/admin/mentoring">Mentoring outcomes</a>.`);
const NOT_YOURS = {
  rotations: {
    roles: ["student"],
    title: "Rotations",
    professional: html`Rotations are a student's: they add theirs to find rooms and mentors near its hospital.
      Students' requests are in <a href="#/bookings">Bookings</a> and <a href="#/mentorships">Mentorships</a>.`,
    admin: html`Operators have no rotations of their own. Students' rotations are paired with mentors in${" "}
      <a href="#/admin/rounds">cohort match rounds</a>.`,
  },
  listings: {
    roles: ["professional"],
    title: "Your rooms",
    student: html`Rooms are posted by medical professionals. <a href="#/search">Find a room</a> near your
      rotation's hospital.`,
    admin: html`Operators post no rooms. <a href="#/search">Find a room</a> shows every listed one.`,
  },
  payouts: {
    roles: ["professional"],
    title: "Payouts",
    student: html`Payouts are a host's. What you paid for a stay is on its receipt, in <a href="#/bookings">Bookings</a>.`,
    admin: html`Operators have no payouts of their own. A booking's payments and refunds are on the${" "}
      <a href="#/admin">operator page</a>.`,
  },
};

function pageFor(route, me) {
  const [a, b, c] = route.parts;
  // Pages that mailed links open, logged in or not.
  if (a === "verify-email") return html`<${VerifyEmail} query=${route.query} />`;
  if (a === "confirm-email") return html`<${ConfirmEmail} query=${route.query} />`;
  if (a === "reset-password") return html`<${ResetPassword} query=${route.query} />`;
  if (a === "forgot-password") return html`<${ForgotPassword} />`;
  if (a === "unsubscribe") return html`<${Unsubscribe} query=${route.query} />`;
  if (!me) {
    if (a === "signup") return html`<${Signup} query=${route.query} />`;
    if (a === "search") return html`<${Search} query=${route.query} />`;
    if (a === "listings" && b) return html`<${ListingPage} id=${b} query=${route.query} />`;
    if (a === "users" && b) return html`<${PublicProfile} id=${b} />`;
    return html`<${Login} query=${route.query} />`;
  }
  // A room's own page (#/listings/<id>) is everyone's; the list, "new" and "edit" are a host's.
  const roomPage = a === "listings" && b && b !== "new" && c !== "edit";
  const gate = !roomPage && NOT_YOURS[a];
  if (gate && !gate.roles.includes(me.user.role)) return notYours(gate.title, gate[me.user.role]);
  switch (a) {
    case undefined:
    // A login or signup page opened while logged in (a bookmark, another tab): Home.
    case "login":
    case "signup":
      return html`<${Home} />`;
    case "profile":
      return html`<${Profile} query=${route.query} />`;
    case "settings":
      return html`<${Settings} />`;
    case "rotations":
      return b ? html`<${RotationPage} id=${b} />` : html`<${Rotations} />`;
    case "search":
      return html`<${Search} query=${route.query} />`;
    case "listings":
      if (b === "new") return html`<${ListingEdit} />`;
      if (b && c === "edit") return html`<${ListingEdit} id=${b} query=${route.query} />`;
      return b ? html`<${ListingPage} id=${b} query=${route.query} />` : html`<${MyListings} />`;
    case "bookings":
      if (b && c === "pay") return html`<${PayPage} id=${b} />`;
      if (b && c === "receipt") return html`<${ReceiptPage} id=${b} role=${me.user.role === "professional" ? "host" : "guest"} />`;
      return html`<${Bookings} query=${route.query} />`;
    case "payouts":
      return html`<${Payouts} />`;
    case "inbox":
      return b ? html`<${ConversationPage} id=${b} query=${route.query} />` : html`<${Inbox} />`;
    case "mentorships":
      if (me.user.role === "admin") return operatorsElsewhere("Mentorships");
      return b ? html`<${PlanPage} id=${b} />` : html`<${Mentorships} />`;
    case "hospitals":
      return html`<${HospitalPage} id=${b} />`;
    case "letters":
      if (me.user.role === "admin") return operatorsElsewhere("Letters");
      return b ? html`<${LetterPage} id=${b} />` : html`<${Letters} />`;
    case "notifications":
      return html`<${Notifications} />`;
    case "users":
      return html`<${PublicProfile} id=${b} />`;
    case "admin":
      // Every operators' page says so to anyone else, and asks the API for nothing: the
      // rounds and outcomes pages called it, and showed "This action needs the role admin".
      if (me.user.role !== "admin") return html`<${Admin} />`;
      if (b === "rounds") return c ? html`<${RoundPage} id=${c} />` : html`<${Rounds} />`;
      if (b === "mentoring") return html`<${Outcomes} />`;
      return html`<${Admin} />`;
    default:
      return html`<section><h1>Not found</h1><p>No page here. <a href="#/">Go home</a>.</p></section>`;
  }
}

function Nav({ me, unread, route }) {
  const current = (p) => (route.parts[0] || "") === p ? "page" : undefined;
  const link = (p, text, badge) =>
    html`<li><a href=${`#/${p}`} aria-current=${current(p)}>${text}${badge}</a></li>`;
  if (!me) {
    return html`<ul>
      ${link("search", "Find a room")}${link("", "Log in")}${link("signup", "Sign up")}
    </ul>`;
  }
  const role = me.user.role;
  return html`<ul>
    ${link("", "Home")}
    ${role === "student" && link("rotations", "Rotations")}
    ${link("search", "Find a room")}
    ${role === "professional" && link("listings", "My rooms")}
    ${role === "professional" && link("payouts", "Payouts")}
    ${link("bookings", "Bookings")}
    ${role !== "admin" && link("mentorships", "Mentorships")}
    ${role !== "admin" && link("letters", "Letters")}
    ${link("inbox", "Inbox", html`<${Badge} count=${unread.messages} label="unread messages" one="unread message" />`)}
    ${link("notifications", "Notifications", html`<${Badge} count=${unread.notifications} label="unread notifications" one="unread notification" />`)}
    ${role === "admin" && link("admin", "Admin")}
    ${link("profile", "Profile")}
    ${link("settings", "Settings")}
  </ul>`;
}

function App() {
  const route = useRoute();
  const [me, setMe] = useState(undefined);
  const [unread, setUnread] = useState({ messages: 0, conversations: 0, notifications: 0 });
  const [busy, setBusy] = useState(false);
  const [liveStatus, setLiveStatus] = useState("offline");
  const [menuOpen, setMenuOpen] = useState(false);

  async function refreshMe() {
    try {
      // The probe answers a visitor with me: null, so no 401 lands in the console.
      setMe((await get("/auth/session")).me);
    } catch (err) {
      setMe((m) => (m === undefined ? { failed: err } : m));
    }
  }
  // Counts asked for before a newer ask or an "unread" frame are stale when they answer.
  const unreadAsked = useRef(0);
  const refreshUnread = () => {
    const n = ++unreadAsked.current;
    return get("/me/unread").then((counts) => n === unreadAsked.current && setUnread(counts), () => {});
  };
  // A message or a notification that arrives changes the counts, but messaging sends an
  // `unread` frame only when something is read: the badges stayed as they were until a
  // reload. The frames of a burst (a replay after a reconnect) ask once.
  const unreadSoon = useRef(null);
  const refreshUnreadSoon = () => {
    if (unreadSoon.current) return;
    unreadSoon.current = setTimeout(() => { unreadSoon.current = null; refreshUnread(); }, 150);
  };
  // Logged out from elsewhere (the password changed on another device, the account
  // suspended, the session expired): the login page appeared with no word of why.
  const meRef = useRef(me);
  meRef.current = me;
  const sessionEnded = () => {
    if (meRef.current && meRef.current.user) sayOnLogin("Your session has ended: log in again.");
    setMe(null);
  };

  useEffect(() => {
    refreshMe();
    const offBusy = onBusy(setBusy);
    const offAuth = onUnauthorized(sessionEnded);
    const offStatus = live.onStatus(setLiveStatus);
    const offFrame = live.onFrame((frame) => {
      if (frame.type === "unread") {
        unreadAsked.current += 1;
        setUnread(frame.data);
      }
      if (frame.type === "reload") refreshUnread();
      if (frame.type === "message" || frame.type === "notification") refreshUnreadSoon();
      if (frame.type === "session_ended") sessionEnded();
    });
    return () => [offBusy, offAuth, offStatus, offFrame].forEach((off) => off());
  }, []);

  const userId = me && me.user ? me.user.id : null;
  useEffect(() => {
    if (userId) {
      live.start();
      refreshUnread();
    } else live.stop();
  }, [userId]);
  useEffect(() => setMenuOpen(false), [route.path]);
  // Escape closes the phone menu and returns to its button. One listener for the page's
  // life, reading the menu's state from the DOM: a listener added once the menu had
  // rendered open came after paint, and an Escape pressed in between was lost.
  useEffect(() => {
    const onKey = (e) => {
      const button = document.querySelector("button.menu");
      if (e.key !== "Escape" || !button || button.getAttribute("aria-expanded") !== "true") return;
      setMenuOpen(false);
      button.focus();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  // A link of the phone menu followed closes it: the menu closed only when the path changed,
  // and "Find a room" from a search (another query, the same path) left it open over the
  // page. A link to the page already shown changes nothing: focus goes to its heading
  // rather than stay on a link the closed menu hides.
  function followed(e) {
    const link = e.target.closest("a");
    if (!link) return;
    setMenuOpen(false);
    if (link.getAttribute("href") === (location.hash || "#/")) focusHeading();
  }

  async function logout() {
    meRef.current = null; // logging out is no session ended from elsewhere (a 401 meanwhile)
    try {
      await post("/auth/logout");
    } finally {
      live.stop();
      setMe(null);
      location.hash = "#/";
    }
  }

  if (me === undefined) return html`<p class="boot" role="status">Loading Wardmate…</p>`;
  if (me && me.failed) {
    return html`<main id="main" class="page"><h1>Wardmate</h1>
      <p class="alert" role="alert">${me.failed.message}</p>
      <button type="button" onClick=${() => { setMe(undefined); refreshMe(); }}>Try again</button></main>`;
  }
  const session = { me, setMe, refreshMe, unread, refreshUnread };
  // The phone's Menu button carries what the folded menu's badges count: they showed only
  // once the menu was opened. Its name says it ("Menu, 3 unread").
  const menuUnread = me ? (unread.messages || 0) + (unread.notifications || 0) : 0;
  return html`<${Session.Provider} value=${session}>
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main").focus(); }}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/">Wardmate</a>
      <button type="button" class="menu" aria-expanded=${menuOpen ? "true" : "false"} aria-controls="nav"
        aria-label=${menuUnread ? `Menu, ${menuUnread} unread` : undefined}
        onClick=${() => setMenuOpen(!menuOpen)}>Menu ${menuUnread > 0 && html`<span class="badge" aria-hidden="true">${menuUnread}</span>`}</button>
      <nav id="nav" aria-label="Main" class=${menuOpen ? "open" : ""} onClick=${followed}>
        <${Nav} me=${me} unread=${unread} route=${route} />
        ${me && html`<button type="button" class="link" onClick=${logout}>Log out</button>`}
      </nav>
    </header>
    <div class="statusbar" aria-live="polite">
      ${busy && html`<span class="spinner" role="status">Loading…</span>`}
      ${me && liveStatus !== "live" && html`<span class="offline">${liveStatus === "connecting" ? "Connecting…" : "Offline: live updates paused"}</span>`}
    </div>
    <${VerifyBanner} me=${me} />
    <main id="main" class="page" tabindex="-1">${pageFor(route, me)}</main>
  <//>`;
}

render(html`<${App} />`, document.getElementById("app"));
