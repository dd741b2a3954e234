"""NATS subject names, defined once.

- requests (``nats.micro`` endpoints): ``wardmate.<service>.<action>``;
- domain events (JetStream ``WARDMATE_EVENTS``): ``events.<service>.<aggregate>.<what happened>``,
  each the ``subject`` of its event contract;
- dead letters: ``deadletters.<consumer>.<event subject>``;
- live pushes to one user's sockets: ``wardmate.push.user.<user id>``; broadcasts every
  gateway replica hears: ``wardmate.broadcast.<what>``.
"""

from __future__ import annotations

# accounts
SIGNUP = "wardmate.accounts.signup"
LOGIN = "wardmate.accounts.login"
LOGOUT = "wardmate.accounts.logout"
RESOLVE_SESSION = "wardmate.accounts.resolve-session"
GET_ME = "wardmate.accounts.get-me"
GET_SESSION = "wardmate.accounts.get-session"
UPDATE_PROFILE = "wardmate.accounts.update-profile"
SUBMIT_VERIFICATION = "wardmate.accounts.submit-verification"
VERIFY_USER = "wardmate.accounts.verify-user"
REJECT_CREDENTIAL = "wardmate.accounts.reject-credential"
LIST_VERIFICATIONS = "wardmate.accounts.list-verifications"
SUSPEND_USER = "wardmate.accounts.suspend-user"
UNSUSPEND_USER = "wardmate.accounts.unsuspend-user"
LIST_SUSPENSIONS = "wardmate.accounts.list-suspensions"
GET_USER = "wardmate.accounts.get-user"
# Verification documents: the gateway streams the file to storage and sends the key.
ADD_DOCUMENT = "wardmate.accounts.add-document"
MY_DOCUMENTS = "wardmate.accounts.my-documents"
DOCUMENT_ACCESS = "wardmate.accounts.document-access"
DOCUMENT_QUEUE = "wardmate.accounts.document-queue"
DECIDE_DOCUMENT = "wardmate.accounts.decide-document"
# Core-NATS broadcast (not a request): a session was revoked; gateways drop it from cache.
SESSION_REVOKED = "wardmate.broadcast.session-revoked"
# accounts: the lifecycle (issue 18)
VERIFY_EMAIL = "wardmate.accounts.verify-email"
RESEND_VERIFICATION = "wardmate.accounts.resend-verification"
REQUEST_PASSWORD_RESET = "wardmate.accounts.request-password-reset"
RESET_PASSWORD = "wardmate.accounts.reset-password"
CHECK_RESET_LINK = "wardmate.accounts.check-reset-link"
CHANGE_PASSWORD = "wardmate.accounts.change-password"
CHANGE_EMAIL = "wardmate.accounts.change-email"
CONFIRM_EMAIL_CHANGE = "wardmate.accounts.confirm-email-change"
LIST_SESSIONS = "wardmate.accounts.list-sessions"
REVOKE_SESSION = "wardmate.accounts.revoke-session"
REVOKE_OTHER_SESSIONS = "wardmate.accounts.revoke-other-sessions"
GET_MAIL_PREFERENCES = "wardmate.accounts.get-mail-preferences"
UPDATE_MAIL_PREFERENCES = "wardmate.accounts.update-mail-preferences"
UNSUBSCRIBE = "wardmate.accounts.unsubscribe"
# Core-NATS broadcast: a session's cached state changed (the address was confirmed);
# gateways drop it from cache without closing its sockets.
SESSION_CHANGED = "wardmate.broadcast.session-changed"
# The private calendar feed: accounts builds it from listings' and matching's answers.
CALENDAR_FEED = "wardmate.accounts.calendar-feed"
GET_CALENDAR_LINK = "wardmate.accounts.get-calendar-link"
ROTATE_CALENDAR_LINK = "wardmate.accounts.rotate-calendar-link"
CALENDAR_STAYS = "wardmate.listings.calendar-stays"
# One stay of the caller's, by booking id: the .ics of a confirmed or moved stay's mail.
CALENDAR_STAY = "wardmate.listings.calendar-stay"
CALENDAR_ROTATIONS = "wardmate.matching.calendar-rotations"
# Export and deletion: accounts gathers each service's answer about the caller.
EXPORT_ME = "wardmate.accounts.export-me"
DELETE_ME = "wardmate.accounts.delete-me"
EXPORT_ACCOUNTS = "wardmate.accounts.export-user"
EXPORT_LISTINGS = "wardmate.listings.export-user"
EXPORT_MESSAGING = "wardmate.messaging.export-user"
EXPORT_MATCHING = "wardmate.matching.export-user"
EXPORT_PAYMENTS = "wardmate.payments.export-user"
# Not REST routes: current state, paged by id, for operator tools (a projection's rebuild).
SNAPSHOT_USERS = "wardmate.accounts.snapshot-users"

# listings
SEARCH_HOSPITALS = "wardmate.listings.search-hospitals"
GET_HOSPITAL = "wardmate.listings.get-hospital"
CREATE_LISTING = "wardmate.listings.create-listing"
SEARCH_LISTINGS = "wardmate.listings.search-listings"
GET_LISTING = "wardmate.listings.get-listing"
UPDATE_LISTING = "wardmate.listings.update-listing"
ARCHIVE_LISTING = "wardmate.listings.archive-listing"
MY_LISTINGS = "wardmate.listings.my-listings"
REQUEST_BOOKING = "wardmate.listings.request-booking"
MY_BOOKINGS = "wardmate.listings.my-bookings"
GET_BOOKING = "wardmate.listings.get-booking"
ACCEPT_BOOKING = "wardmate.listings.accept-booking"
DECLINE_BOOKING = "wardmate.listings.decline-booking"
CANCEL_BOOKING = "wardmate.listings.cancel-booking"
SHIFT_BOOKING = "wardmate.listings.shift-booking"
ACCEPT_SHIFT = "wardmate.listings.accept-shift"
DECLINE_SHIFT = "wardmate.listings.decline-shift"
WITHDRAW_SHIFT = "wardmate.listings.withdraw-shift"
POST_REVIEW = "wardmate.listings.post-review"
QUOTE_STAY = "wardmate.listings.quote-stay"
BLOCK_DATES = "wardmate.listings.block-dates"
LIST_BLOCKED_DATES = "wardmate.listings.list-blocked-dates"
UNBLOCK_DATES = "wardmate.listings.unblock-dates"
LIST_REVIEWS = "wardmate.listings.list-reviews"
LIST_USER_REVIEWS = "wardmate.listings.list-user-reviews"
# Photos: the gateway streams the bytes to storage and sends the key (claim check).
ADD_PHOTO = "wardmate.listings.add-photo"
UPDATE_PHOTO = "wardmate.listings.update-photo"
ORDER_PHOTOS = "wardmate.listings.order-photos"
DELETE_PHOTO = "wardmate.listings.delete-photo"
SEARCH_PLACES = "wardmate.listings.search-places"
LIST_COUNTRIES = "wardmate.listings.list-countries"
SEARCH_LANGUAGES = "wardmate.listings.search-languages"
# Not REST routes: current state, paged by id, for operator tools (a projection's rebuild).
SNAPSHOT_LISTINGS = "wardmate.listings.snapshot-listings"
SNAPSHOT_BOOKINGS = "wardmate.listings.snapshot-bookings"

SERVICES = ("accounts", "listings", "messaging", "matching", "payments")

# messaging
LIST_CONVERSATIONS = "wardmate.messaging.list-conversations"
START_CONVERSATION = "wardmate.messaging.start-conversation"
GET_CONVERSATION = "wardmate.messaging.get-conversation"
LIST_MESSAGES = "wardmate.messaging.list-messages"
SEND_MESSAGE = "wardmate.messaging.send-message"
MARK_READ = "wardmate.messaging.mark-read"
UNREAD_COUNTS = "wardmate.messaging.unread-counts"
LIST_NOTIFICATIONS = "wardmate.messaging.list-notifications"
READ_NOTIFICATIONS = "wardmate.messaging.read-notifications"
BLOCK_USER = "wardmate.messaging.block-user"
MY_BLOCKS = "wardmate.messaging.my-blocks"
BLOCK_STATE = "wardmate.messaging.block-state"
UNBLOCK_USER = "wardmate.messaging.unblock-user"
REPORT = "wardmate.messaging.report"
LIST_REPORTS = "wardmate.messaging.list-reports"
RESOLVE_REPORT = "wardmate.messaging.resolve-report"
MESSAGING_STATS = "wardmate.messaging.stats"
# Not a REST route: the gateway's WebSocket asks it for what a socket missed.
PUSHES_SINCE = "wardmate.messaging.pushes-since"
# Not a REST route: current state, paged by id, for operator tools (a projection's rebuild).
SNAPSHOT_BLOCKS = "wardmate.messaging.snapshot-blocks"
# Not a REST route: accounts' daily digest asks which of a batch of users have unread messages.
UNREAD_AMONG = "wardmate.messaging.unread-among"

# matching
CREATE_ROTATION = "wardmate.matching.create-rotation"
MY_ROTATIONS = "wardmate.matching.my-rotations"
GET_ROTATION = "wardmate.matching.get-rotation"
UPDATE_ROTATION = "wardmate.matching.update-rotation"
DELETE_ROTATION = "wardmate.matching.delete-rotation"
ROOM_MATCHES = "wardmate.matching.room-matches"
MENTOR_MATCHES = "wardmate.matching.mentor-matches"
REQUEST_MENTORSHIP = "wardmate.matching.request-mentorship"
ACCEPT_MENTORSHIP = "wardmate.matching.accept-mentorship"
DECLINE_MENTORSHIP = "wardmate.matching.decline-mentorship"
END_MENTORSHIP = "wardmate.matching.end-mentorship"
MY_MENTORSHIPS = "wardmate.matching.my-mentorships"
CREATE_MATCH_ROUND = "wardmate.matching.create-match-round"
LIST_MATCH_ROUNDS = "wardmate.matching.list-match-rounds"
GET_MATCH_ROUND = "wardmate.matching.get-match-round"
ROUND_ASSIGNMENTS = "wardmate.matching.round-assignments"
ACCEPT_MATCH_ROUND = "wardmate.matching.accept-match-round"

# payments
PAY_BOOKING = "wardmate.payments.pay-booking"
CONFIRM_PAYMENT = "wardmate.payments.confirm-payment"
BOOKING_PAYMENTS = "wardmate.payments.booking-payments"
REFUND_QUOTE = "wardmate.payments.refund-quote"
REFUND_BOOKING = "wardmate.payments.refund-booking"
ADMIN_PAYMENTS = "wardmate.payments.admin-payments"
HOST_PAYOUTS = "wardmate.payments.host-payouts"
RECONCILE = "wardmate.payments.reconcile"
# Not a REST route of the table: the gateway forwards Stripe's raw body and signature.
STRIPE_WEBHOOK = "wardmate.payments.stripe-webhook"

# matching: mentoring plans (goals, meetings, notes, check-ins) and letters
GET_PLAN = "wardmate.matching.get-plan"
ADD_GOAL = "wardmate.matching.add-goal"
UPDATE_GOAL = "wardmate.matching.update-goal"
PROPOSE_MEETING = "wardmate.matching.propose-meeting"
ACCEPT_MEETING = "wardmate.matching.accept-meeting"
DECLINE_MEETING = "wardmate.matching.decline-meeting"
RESCHEDULE_MEETING = "wardmate.matching.reschedule-meeting"
CANCEL_MEETING = "wardmate.matching.cancel-meeting"
HOLD_MEETING = "wardmate.matching.hold-meeting"
MEETINGS_TO_ANSWER = "wardmate.matching.meetings-to-answer"
ADD_NOTE = "wardmate.matching.add-note"
ADD_CHECK_IN = "wardmate.matching.add-check-in"
GET_MENTORING_SETTINGS = "wardmate.matching.get-mentoring-settings"
UPDATE_MENTORING_SETTINGS = "wardmate.matching.update-mentoring-settings"
STALLED_PAIRS = "wardmate.matching.stalled-pairs"
# Not a REST route: the calendar feed asks for a user's meetings (``UserMeetings``).
USER_MEETINGS = "wardmate.matching.user-meetings"
REQUEST_LETTER = "wardmate.matching.request-letter"
GET_LETTER = "wardmate.matching.get-letter"
MY_LETTERS = "wardmate.matching.my-letters"
ACCEPT_LETTER = "wardmate.matching.accept-letter"
DECLINE_LETTER = "wardmate.matching.decline-letter"
SUBMIT_LETTER = "wardmate.matching.submit-letter"
CONFIRM_LETTER = "wardmate.matching.confirm-letter"
WITHDRAW_LETTER = "wardmate.matching.withdraw-letter"
MENTORING_OUTCOMES = "wardmate.matching.mentoring-outcomes"
HOSPITAL_PAGE = "wardmate.matching.hospital-page"
REFERENCE_LISTS = "wardmate.matching.reference-lists"

# --- domain events ------------------------------------------------------------------
EVENTS_ROOT = "events"

# accounts
USER_REGISTERED = "events.accounts.user.registered"
PROFILE_UPDATED = "events.accounts.profile.updated"
USER_VERIFIED = "events.accounts.user.verified"
DOCUMENT_REJECTED = "events.accounts.document.rejected"
CREDENTIAL_REJECTED = "events.accounts.credential.rejected"
# An operator suspended an account or lifted the suspension (beside its snapshot's change):
# messaging tells the people with an open stay, mentorship or recent conversation with it.
USER_SUSPENDED = "events.accounts.user.suspended"
USER_REINSTATED = "events.accounts.user.reinstated"

# listings
LISTING_PUBLISHED = "events.listings.listing.published"
LISTING_UPDATED = "events.listings.listing.updated"
LISTING_ARCHIVED = "events.listings.listing.archived"
BOOKING_REQUESTED = "events.listings.booking.requested"
BOOKING_ACCEPTED = "events.listings.booking.accepted"
BOOKING_CONFIRMED = "events.listings.booking.confirmed"
BOOKING_DECLINED = "events.listings.booking.declined"
BOOKING_CANCELLED = "events.listings.booking.cancelled"
BOOKING_NIGHTS_FREED = "events.listings.booking.nights-freed"
BOOKING_SHIFT_REQUESTED = "events.listings.booking.shift-requested"
BOOKING_SHIFTED = "events.listings.booking.shifted"
BOOKING_SHIFT_DECLINED = "events.listings.booking.shift-declined"
BOOKING_SHIFT_WITHDRAWN = "events.listings.booking.shift-withdrawn"
BOOKING_EXPIRED = "events.listings.booking.expired"
BOOKING_COMPLETED = "events.listings.booking.completed"
BOOKING_CHECK_IN_SOON = "events.listings.booking.check-in-soon"
REVIEW_POSTED = "events.listings.review.posted"

# messaging: a block set or lifted (listings and matching refuse requests between the pair)
USER_BLOCKED = "events.messaging.user.blocked"
USER_UNBLOCKED = "events.messaging.user.unblocked"

# matching
MENTORSHIP_REQUESTED = "events.matching.mentorship.requested"
MENTORSHIP_ACCEPTED = "events.matching.mentorship.accepted"
MENTORSHIP_DECLINED = "events.matching.mentorship.declined"
MENTORSHIP_ENDED = "events.matching.mentorship.ended"
MATCH_SUGGESTED = "events.matching.match.suggested"
ROTATION_CHANGED = "events.matching.rotation.changed"
ROTATION_MOVED = "events.matching.rotation.moved"
MENTORING_NOTICE = "events.matching.mentoring.notice"

# payments
PAYMENT_DUE = "events.payments.payment.due"
PAYMENT_SUCCEEDED = "events.payments.payment.succeeded"
PAYMENT_FAILED = "events.payments.payment.failed"
PAYMENT_OVERDUE = "events.payments.payment.overdue"
PAYMENT_DUE_SOON = "events.payments.payment.due_soon"
PAYMENT_EXPIRED = "events.payments.payment.expired"
PAYMENT_REFUNDED = "events.payments.payment.refunded"
PAYMENT_RELEASED = "events.payments.payment.released"

# --- streams, pushes, broadcasts, discovery ---------------------------------------------
DEAD_LETTERS_ROOT = "deadletters"
USER_PUSH_PREFIX = "wardmate.push.user"
# Every replica of every gateway hears these (core NATS, no queue group).
BROADCAST_PREFIX = "wardmate.broadcast"


def service_ping(name: str) -> str:
    """micro's discovery subject that any replica of service ``name`` answers."""
    return f"$SRV.PING.{name}"
