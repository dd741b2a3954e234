"""Verification documents through the gateway: private to their owner and operators,
always downloaded as attachments, checked before they are kept, deleted after retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.accounts.admin import ensure_admin
from services.accounts.jobs import delete_expired_documents
from services.runner import Stack
from shared.storage import FsStorage
from tests import samples
from tests.api import PASSWORD, Api, Response, User, random_email
from tests.e2e.helpers import create_listing, held_at_insert, request_stay
from tests.eventually import eventually

ADMIN_PASSWORD = "an-admin-password-1"


async def send_document(
    api: Api, user: User | None, data: bytes, kind: str = "enrolment", filename: str = "letter.pdf"
) -> Response:
    form = aiohttp.FormData()
    form.add_field("kind", kind)
    form.add_field("file", data, filename=filename, content_type="application/pdf")
    headers = {"Authorization": f"Bearer {user.token}"} if user else {}
    assert api.http
    async with api.http.post(f"{api.base}/api/v1/me/documents", data=form, headers=headers) as r:
        return Response(r.status, await r.json(content_type=None), r.headers.copy())  # type: ignore[arg-type]


async def download(api: Api, user: User | None, document_id: str) -> tuple[int, bytes, dict[str, str]]:
    headers = {"Authorization": f"Bearer {user.token}"} if user else {}
    assert api.http
    async with api.http.get(
        f"{api.base}/api/v1/documents/{document_id}/file", headers=headers, allow_redirects=False
    ) as r:
        return r.status, await r.read(), dict(r.headers)


async def admin_user(api: Api, stack: Stack) -> User:
    email = random_email("admin")
    await ensure_admin(stack.service_url("accounts"), email, ADMIN_PASSWORD)
    login = await api.call("POST", "/auth/login", json={"email": email, "password": ADMIN_PASSWORD})
    return User(login.body["user"]["id"], login.body["token"], email, "admin")


def documents_folder(stack: Stack) -> Path:
    return stack.data_dir / "storage" / "documents"


async def test_enrolment_letter_verifies_a_student(api: Api, stack: Stack) -> None:
    """A student sends an enrolment letter; only they and operators can fetch it (as an
    attachment; anyone else 404); an operator verifies it and the student's profile and
    the host's booking request show a verified student."""
    student = await api.signup("student", "Ada Student")
    letter = samples.pdf(pages=2)
    sent = await send_document(api, student, letter)
    assert sent.status == 201, sent.body
    assert sent.body["status"] == "pending" and sent.body["pages"] == 2 and sent.body["available"]
    doc_id = sent.body["id"]

    status, body, headers = await download(api, student, doc_id)
    assert status == 200 and body == letter
    assert headers["Content-Disposition"].startswith("attachment;")
    assert headers["Content-Type"] == "application/pdf" and headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in headers["Cache-Control"]
    stranger = await api.signup("professional", "Dr. Stranger")
    for who in (stranger, await api.signup("student", "Other Student")):
        assert (await download(api, who, doc_id))[0] == 404
    assert (await download(api, None, doc_id))[0] == 401
    queue_denied = await api.call("GET", "/admin/documents", student)
    assert queue_denied.status == 403

    admin = await admin_user(api, stack)
    queue = await api.call("GET", "/admin/documents", admin, params={"limit": 100})
    queued = next(d for d in queue.body["items"] if d["id"] == doc_id)
    assert queued["display_name"] == "Ada Student" and queued["role"] == "student"
    status, body, headers = await download(api, admin, doc_id)
    assert status == 200 and body == letter and headers["Content-Disposition"].startswith("attachment;")

    decided = await api.call("POST", f"/admin/documents/{doc_id}/decision", admin, json={"decision": "verified"})
    assert decided.status == 200 and decided.body["status"] == "verified" and decided.body["delete_after"]
    again = await api.call(
        "POST", f"/admin/documents/{doc_id}/decision", admin, json={"decision": "rejected", "note": "Blurry"}
    )
    assert again.status == 409
    profile = await api.call("GET", f"/users/{student.id}", stranger)
    assert profile.body["verified"] is True and profile.body["role"] == "student"
    mine = await api.call("GET", "/me/documents", student)
    assert [d["status"] for d in mine.body["items"]] == ["verified"]

    # The host of the room the student asks for sees the badge on the request's guest.
    host = await api.signup("professional", "Dr. Host")
    listing = await create_listing(api, host)
    booking = await request_stay(api, student, listing["id"])
    assert booking.status == 201, booking.body
    guest = await api.call("GET", f"/users/{booking.body['guest_id']}", host)
    assert guest.body["verified"] is True


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("javascript", samples.pdf(javascript=True), "JavaScript"),
        ("encrypted", samples.pdf(encrypt=True), "encrypted"),
        ("embedded file", samples.pdf(attachment=True), "embedded files"),
        ("too many pages", samples.pdf(pages=21), "at most 20"),
        ("unparseable", b"%PDF-1.7\n" + b"junk" * 200, "cannot be read"),
        ("html as pdf", samples.HTML_AS_JPEG, "send a PDF"),
    ],
)
async def test_bad_documents_are_refused_and_nothing_is_kept(
    api: Api, stack: Stack, name: str, data: bytes, message: str
) -> None:
    """A PDF that could run code, hides files, is locked, too long or unreadable is a 400; nothing is kept."""
    student = await api.signup("student", "Sam")
    before = set(documents_folder(stack).glob("*"))
    refused = await send_document(api, student, data)
    assert refused.status == 400 and message in refused.body["error"]["message"], refused.body
    assert (await api.call("GET", "/me/documents", student)).body["items"] == []
    assert set(documents_folder(stack).glob("*")) == before
    tmp = stack.data_dir / "storage" / "tmp"
    assert not [p for p in tmp.glob("*") if not p.name.startswith(".")]


async def test_kind_must_fit_the_role(api: Api) -> None:
    """Students send enrolment or rotation acceptance; professionals a licence."""
    student = await api.signup("student", "Kim")
    refused = await send_document(api, student, samples.pdf(), kind="licence")
    assert refused.status == 400 and refused.body["error"]["details"][0]["field"] == "kind"
    pro = await api.signup("professional", "Dr. Pro")
    assert (await send_document(api, pro, samples.jpeg(), kind="licence", filename="scan.jpg")).status == 201


async def test_browser_upload_of_a_document_needs_csrf(stack: Stack) -> None:
    """A cookie session's document upload without the CSRF header is 403."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            f"{stack.url}/api/v1/auth/signup",
            json={"email": random_email(), "password": PASSWORD, "display_name": "C", "role": "student"},
        ) as r:
            assert r.status == 201
        form = aiohttp.FormData()
        form.add_field("kind", "enrolment")
        form.add_field("file", samples.pdf(), filename="letter.pdf", content_type="application/pdf")
        async with http.post(f"{stack.url}/api/v1/me/documents", data=form) as r:
            assert r.status == 403


async def test_documents_are_deleted_after_retention(api: Api, stack: Stack) -> None:
    """A decided document's file is deleted once its retention has passed (the clock moved,
    not waited for); a pending one is kept however old; the record of the decision stays."""
    student = await api.signup("student", "Ret")
    admin = await admin_user(api, stack)
    decided = (await send_document(api, student, samples.pdf())).body
    pending = (await send_document(api, student, samples.pdf(pages=3), kind="rotation_acceptance")).body
    await api.call(
        "POST", f"/admin/documents/{decided['id']}/decision", admin, json={"decision": "rejected", "note": "Blurry"}
    )

    storage = FsStorage(stack.data_dir / "storage")
    pool = await asyncpg.create_pool(
        stack.service_url("accounts"), min_size=1, max_size=2, server_settings={"search_path": "accounts"}
    )
    try:
        now = datetime.now(UTC)
        assert await delete_expired_documents(pool, storage, 30, now=now + timedelta(days=29)) == 0
        assert (await download(api, student, decided["id"]))[0] == 200
        assert await delete_expired_documents(pool, storage, 30, now=now + timedelta(days=31)) >= 1
    finally:
        await pool.close()
    assert (await download(api, student, decided["id"]))[0] == 404
    assert (await download(api, student, pending["id"]))[0] == 200
    mine = {d["id"]: d for d in (await api.call("GET", "/me/documents", student)).body["items"]}
    assert mine[decided["id"]]["available"] is False and mine[decided["id"]]["status"] == "rejected"
    assert mine[pending["id"]]["available"] is True
    assert not list(documents_folder(stack).glob(f"{decided['id'].replace('-', '')}.*"))


async def notifications(api: Api, user: User) -> list[dict[str, Any]]:
    r = await api.call("GET", "/notifications", user)
    assert r.status == 200, r.body
    return r.body["items"]  # type: ignore[no-any-return]


async def test_a_rejected_student_is_told_why_and_a_verified_one_as_a_student(api: Api, stack: Stack) -> None:
    """A rejection reaches its owner as a notification and a mail with the operator's note
    and where to send another; the verification that follows is worded for a student
    (no credentials, no listings), and its mail links to the profile too."""
    student = await api.signup("student", "Rejected Student")
    admin = await admin_user(api, stack)
    first = (await send_document(api, student, samples.pdf())).body
    note = "The letter is blurry: please send a scan of the whole page"
    decided = await api.call(
        "POST", f"/admin/documents/{first['id']}/decision", admin, json={"decision": "rejected", "note": note}
    )
    assert decided.status == 200, decided.body

    [told] = await eventually(lambda: notifications(api, student), 15, what="the rejection's notice")
    assert told["kind"] == "document_rejected"
    assert "could not verify your proof of enrolment" in told["text"] and note in told["text"]
    assert "Verification documents" in told["text"]
    [mail] = await api.mail(student.email, "Your verification document was not accepted")
    assert note in mail.part("text/plain") and mail.link("#/profile")

    second = (await send_document(api, student, samples.pdf(pages=2), kind="rotation_acceptance")).body
    verified = await api.call("POST", f"/admin/documents/{second['id']}/decision", admin, json={"decision": "verified"})
    assert verified.status == 200, verified.body
    notes = await eventually(
        lambda: notifications(api, student), 15, what="the badge's notice", until=lambda items: len(items) == 2
    )
    badge = next(n for n in notes if n["kind"] == "user_verified")
    assert "verified student" in badge["text"]
    assert "credentials" not in badge["text"] and "listings" not in badge["text"]
    [mail] = await api.mail(student.email, "You are verified on Wardmate")
    assert "verified student" in mail.part("text/plain")


async def test_the_export_lists_documents_without_their_files(api: Api, stack: Stack) -> None:
    """GET /me/export holds each document sent: kind, status, the operator's note and the
    dates (not the file or where it is stored); another user's export holds none of them."""
    student, other = await api.signup("student", "Exported"), await api.signup("student", "Other")
    admin = await admin_user(api, stack)
    rejected = (await send_document(api, student, samples.pdf())).body
    pending = (await send_document(api, student, samples.pdf(), kind="rotation_acceptance")).body
    note = "Wrong school on the letter"
    await api.call(
        "POST", f"/admin/documents/{rejected['id']}/decision", admin, json={"decision": "rejected", "note": note}
    )

    export = await api.call("GET", "/me/export", student)
    assert export.status == 200, export.body
    documents = {d["id"]: d for d in export.body["accounts"]["documents"]}
    assert set(documents) == {rejected["id"], pending["id"]}
    assert documents[rejected["id"]]["kind"] == "enrolment" and documents[rejected["id"]]["status"] == "rejected"
    assert documents[rejected["id"]]["note"] == note and documents[rejected["id"]]["decided_at"]
    assert documents[pending["id"]]["status"] == "pending" and documents[pending["id"]]["decided_at"] is None
    assert documents[pending["id"]]["created_at"] and documents[pending["id"]]["file_deleted_at"] is None
    assert "object_key" not in documents[pending["id"]] and "documents/" not in str(export.body)
    theirs = await api.call("GET", "/me/export", other)
    assert theirs.body["accounts"]["documents"] == []


async def test_deleting_an_account_deletes_its_document_files(api: Api, stack: Stack) -> None:
    """DELETE /me takes the account's document files (pending and decided, a student's
    letters, a professional's licence scan) out of storage with the rows; nothing is left
    recorded for the retention loop; another user's file stays."""
    student, pro, other = (
        await api.signup("student", "Leaving Student"),
        await api.signup("professional", "Dr. Leaving"),
        await api.signup("student", "Staying"),
    )
    admin = await admin_user(api, stack)
    letters = [(await send_document(api, student, samples.pdf(pages=n))).body for n in (1, 2)]
    await api.call(
        "POST", f"/admin/documents/{letters[0]['id']}/decision", admin, json={"decision": "rejected", "note": "Blurry"}
    )
    licence = (await send_document(api, pro, samples.jpeg(), kind="licence", filename="scan.jpg")).body
    kept = (await send_document(api, other, samples.pdf())).body

    def files(document: dict[str, Any]) -> list[Path]:
        return list(documents_folder(stack).glob(f"{document['id'].replace('-', '')}.*"))

    assert all(files(d) for d in (*letters, licence, kept))
    for user in (student, pro):
        deleted = await api.call("DELETE", "/me", user, json={"password": PASSWORD})
        assert deleted.status == 200, deleted.body
    assert [files(d) for d in (*letters, licence)] == [[], [], []]
    assert files(kept) and (await download(api, other, kept["id"]))[0] == 200
    pool = await asyncpg.create_pool(
        stack.service_url("accounts"), min_size=1, max_size=1, server_settings={"search_path": "accounts"}
    )
    try:
        assert await pool.fetchval("SELECT count(*) FROM erased_files") == 0
    finally:
        await pool.close()


async def queued_of(api: Api, admin: User, user: User) -> list[str]:
    """The ids of ``user``'s documents in the operators' queue, oldest first (every page)."""
    ids: list[str] = []
    cursor = None
    while True:
        params = {"limit": "100"} | ({"cursor": cursor} if cursor else {})
        page = await api.call("GET", "/admin/documents", admin, params=params)
        assert page.status == 200, page.body
        ids += [d["id"] for d in page.body["items"] if d["user_id"] == user.id]
        cursor = page.body["next_cursor"]
        if not cursor:
            return ids


async def test_the_same_document_at_once_or_again_is_one_queue_entry(api: Api, stack: Stack) -> None:
    """The same file of the same kind sent four times at once, each copy past its check
    before any inserts, is one document, one entry in the operators' queue and one file;
    sent again while it waits it is that document; the same file as another kind, or again
    once an operator decided the first, is a document of its own."""
    student = await api.signup("student", "Sent Twice")
    admin = await admin_user(api, stack)
    letter = samples.pdf(pages=3)
    files_before = set(documents_folder(stack).glob("*"))
    sent = await held_at_insert(stack, "accounts.documents", [send_document(api, student, letter) for _ in range(4)])
    assert [r.status for r in sent] == [201] * 4, [r.body for r in sent]
    assert len({r.body["id"] for r in sent}) == 1, [r.body for r in sent]
    document_id = sent[0].body["id"]
    again = await send_document(api, student, letter)
    assert again.status == 201 and again.body == sent[0].body, again.body
    mine = await api.call("GET", "/me/documents", student)
    assert [d["id"] for d in mine.body["items"]] == [document_id]
    assert await queued_of(api, admin, student) == [document_id]
    assert len(set(documents_folder(stack).glob("*")) - files_before) == 1

    other_kind = await send_document(api, student, letter, kind="rotation_acceptance")
    assert other_kind.status == 201 and other_kind.body["id"] != document_id, other_kind.body
    rejected = await api.call(
        "POST", f"/admin/documents/{document_id}/decision", admin, json={"decision": "rejected", "note": "Blurry"}
    )
    assert rejected.status == 200, rejected.body
    resent = await send_document(api, student, letter)
    assert resent.status == 201 and resent.body["id"] not in (document_id, other_kind.body["id"]), resent.body
    assert await queued_of(api, admin, student) == [other_kind.body["id"], resent.body["id"]]


async def test_documents_waiting_for_an_operator_are_bounded_per_user(api: Api, stack: Stack) -> None:
    """A user has at most 5 documents waiting at once (each kept until decided): a sixth
    different file is a 409 that keeps nothing; a decision makes room again; the same file
    again is still the waiting document."""
    student = await api.signup("student", "Flo Oder")
    waiting = []
    for pages in range(1, 6):
        sent = await send_document(api, student, samples.pdf(pages=pages))
        assert sent.status == 201, sent.body
        waiting.append(sent.body["id"])
    before = set(documents_folder(stack).glob("*"))
    refused = await send_document(api, student, samples.pdf(pages=6))
    assert refused.status == 409 and "waiting for an operator" in refused.body["error"]["message"], refused.body
    assert set(documents_folder(stack).glob("*")) == before
    again = await send_document(api, student, samples.pdf(pages=1))
    assert again.status == 201 and again.body["id"] == waiting[0]
    admin = await admin_user(api, stack)
    decided = await api.call(
        "POST", f"/admin/documents/{waiting[0]}/decision", admin, json={"decision": "rejected", "note": "Blurry"}
    )
    assert decided.status == 200
    assert (await send_document(api, student, samples.pdf(pages=6))).status == 201
    mine = await api.call("GET", "/me/documents", student, params={"limit": 20})
    assert [d["status"] for d in mine.body["items"]].count("pending") == 5


async def test_an_operator_verifies_the_name_they_compared_not_a_later_one(api: Api, stack: Stack) -> None:
    """A student who renamed after the operator read the queue got the badge for a name
    nobody compared with the document. A verification naming the compared name is now a
    409 when the name changed, and the document waits; with the current name it verifies."""
    student = await api.signup("student", "Ada Compared")
    sent = await send_document(api, student, samples.pdf(pages=1))
    assert sent.status == 201, sent.body
    admin = await admin_user(api, stack)
    queue = await api.call("GET", "/admin/documents", admin, params={"limit": 100})
    seen = next(d for d in queue.body["items"] if d["id"] == sent.body["id"])["display_name"]
    assert seen == "Ada Compared"
    renamed = await api.call("PATCH", "/me/profile", student, json={"display_name": "Someone Else"})
    assert renamed.status == 200, renamed.body

    path = f"/admin/documents/{sent.body['id']}/decision"
    stale = await api.call("POST", path, admin, json={"decision": "verified", "display_name": seen})
    assert stale.status == 409 and "name changed" in stale.body["error"]["message"], stale.body
    mine = await api.call("GET", "/me/documents", student)
    assert [d["status"] for d in mine.body["items"] if d["id"] == sent.body["id"]] == ["pending"]
    checked = await api.call("POST", path, admin, json={"decision": "verified", "display_name": "Someone Else"})
    assert checked.status == 200 and checked.body["status"] == "verified", checked.body


async def test_a_rejection_must_say_why_and_the_student_reads_it(api: Api, stack: Stack) -> None:
    """A rejection without a note, or with one of spaces or zero-width characters only, is
    a 400 naming the note, and the document still waits; with a reason it is rejected and
    its owner reads the reason on their documents and in the notice."""
    student = await api.signup("student", "Reasoned Student")
    admin = await admin_user(api, stack)
    sent = (await send_document(api, student, samples.pdf(pages=4))).body
    path = f"/admin/documents/{sent['id']}/decision"
    for body in (
        {"decision": "rejected"},
        {"decision": "rejected", "note": " \n "},
        {"decision": "rejected", "note": "\u200b"},
    ):
        refused = await api.call("POST", path, admin, json=body)
        assert refused.status == 400 and refused.error_code == "validation", (body, refused.body)
        assert [d["field"] for d in refused.body["error"]["details"]] == ["note"], refused.body
        assert refused.body["error"]["details"][0]["message"].startswith("Say why"), refused.body
    mine = await api.call("GET", "/me/documents", student)
    assert [d["status"] for d in mine.body["items"] if d["id"] == sent["id"]] == ["pending"]

    note = "The letter is not signed by the school"
    rejected = await api.call("POST", path, admin, json={"decision": "rejected", "note": note})
    assert rejected.status == 200 and rejected.body["note"] == note, rejected.body
    mine = await api.call("GET", "/me/documents", student)
    assert [(d["status"], d["note"]) for d in mine.body["items"]] == [("rejected", note)]
    [told] = await eventually(lambda: notifications(api, student), 15, what="the rejection's notice")
    assert note in told["text"]


async def test_an_operator_verifies_the_school_they_compared_not_a_later_one(api: Api, stack: Stack) -> None:
    """The queue shows the student's medical school; a student who changed school after
    the operator read it got the badge for a school nobody compared with the letter. A
    verification naming the compared school is now a 409 when it changed, and the document
    waits; with the current school (null for none) it verifies."""
    student = await api.signup("student", "Ada Schooled")
    first_school = await api.call("PATCH", "/me/profile", student, json={"medical_school": "University of Lagos"})
    assert first_school.status == 200, first_school.body
    sent = (await send_document(api, student, samples.pdf(pages=5))).body
    admin = await admin_user(api, stack)
    queue = await api.call("GET", "/admin/documents", admin, params={"limit": 100})
    seen = next(d for d in queue.body["items"] if d["id"] == sent["id"])
    assert seen["medical_school"] == "University of Lagos", seen
    moved = await api.call("PATCH", "/me/profile", student, json={"medical_school": "St. George's University"})
    assert moved.status == 200, moved.body

    path = f"/admin/documents/{sent['id']}/decision"
    compared = {"decision": "verified", "display_name": seen["display_name"]}
    stale = await api.call("POST", path, admin, json=compared | {"medical_school": seen["medical_school"]})
    assert stale.status == 409 and "medical school changed" in stale.body["error"]["message"], stale.body
    unset = await api.call("POST", path, admin, json=compared | {"medical_school": None})
    assert unset.status == 409, unset.body
    mine = await api.call("GET", "/me/documents", student)
    assert [d["status"] for d in mine.body["items"]] == ["pending"]
    assert (await api.call("GET", f"/users/{student.id}", admin)).body["verified"] is False

    cleared = await api.call("PATCH", "/me/profile", student, json={"medical_school": None})
    assert cleared.status == 200, cleared.body
    checked = await api.call("POST", path, admin, json=compared | {"medical_school": None})
    assert checked.status == 200 and checked.body["status"] == "verified", checked.body
