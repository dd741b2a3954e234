// Listing photos: the cover on result cards (lazy, its dominant colour while it loads),
// the listing's gallery (arrow keys, buttons, swipes), and the host's photo editor
// (upload with a progress bar, alt text and caption, move up/down, replace, delete).
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { del, patch, put, upload } from "../api.js";
import { Alert, ConfirmButton, Field, Notice, formError, useForm, useId } from "../ui.js";

/** The variants by their real widths: a small upload's wider variants are the same width (never enlarged). */
/** The largest variant: "Full size" opens it (a tap on the photo enlarged nothing). */
function largest(photo) {
  return Object.entries(photo.urls).sort((a, b) => Number(b[0]) - Number(a[0]))[0][1];
}

function srcset(photo) {
  const byWidth = new Map();
  for (const [w, url] of Object.entries(photo.urls)) {
    const real = Math.min(Number(w), photo.width);
    if (!byWidth.has(real)) byWidth.set(real, url);
  }
  return [...byWidth].map(([w, url]) => `${url} ${w}w`).join(", ");
}

/** A result card's picture: the cover, or a plain "no photos yet" box of the same size. */
export function Cover({ listing }) {
  const cover = listing.cover;
  if (!cover) return html`<div class="cover none"><span>No photos yet</span></div>`;
  // style as an object: Preact sets it through the CSSOM, which the strict CSP allows.
  return html`<div class="cover" style=${{ backgroundColor: cover.color }}>
    <img src=${cover.url} alt=${cover.alt_text} loading="lazy" decoding="async" width=${cover.width} height=${cover.height} />
    ${listing.photo_count > 1 && html`<span class="count">${listing.photo_count} photos</span>`}
  </div>`;
}

/** The listing's photos, one at a time: previous/next buttons, arrow keys, swipes, thumbnails. */
export function Gallery({ photos, title, addHref = null }) {
  const [index, setIndex] = useState(0);
  const start = useRef(null);
  const id = useId("gallery");
  if (!photos.length) {
    return html`<p class="hint gallery-none">No photos yet.${addHref ? html` <a href=${addHref}>Add photos</a>: a room with photos is chosen first.` : ""}</p>`;
  }
  const at = Math.min(index, photos.length - 1);
  const photo = photos[at];
  const show = (i) => setIndex((i + photos.length) % photos.length);
  function onKey(e) {
    if (e.key === "ArrowRight") show(at + 1);
    else if (e.key === "ArrowLeft") show(at - 1);
    else if (e.key === "Home") show(0);
    else if (e.key === "End") show(photos.length - 1);
    else return;
    e.preventDefault();
  }
  function onDown(e) {
    start.current = e.clientX;
    // Captured: the release counts even when the finger ends outside the frame.
    if (e.currentTarget.setPointerCapture) e.currentTarget.setPointerCapture(e.pointerId);
  }
  function onUp(e) {
    if (start.current === null) return;
    const dx = e.clientX - start.current;
    start.current = null;
    if (Math.abs(dx) > 40) show(at + (dx < 0 ? 1 : -1));
  }
  return html`<section class="gallery" aria-roledescription="carousel" aria-label=${`Photos of ${title}`}>
    <div class="frame" tabindex="0" role="group" aria-label=${`Photos of ${title}${photos.length > 1 ? ": arrow keys show the others" : ""}`} onKeyDown=${onKey} onPointerDown=${onDown} onPointerUp=${onUp}
      onPointerCancel=${() => { start.current = null; }} onDragStart=${(e) => e.preventDefault()}
      aria-describedby=${`${id}-pos`} style=${{ backgroundColor: photo.color }}>
      <img src=${photo.urls["1024"]} srcset=${srcset(photo)} sizes="(max-width: 40rem) 100vw, 40rem"
        alt=${photo.alt_text} width=${photo.width} height=${photo.height} draggable="false" />
    </div>
    <p class="caption"><span id=${`${id}-pos`} aria-live="polite">Photo ${at + 1} of ${photos.length}</span>${photo.caption ? ` · ${photo.caption}` : ""}
      ${" "}· <a href=${largest(photo)} target="_blank" rel="noopener">Full size<span class="sr"> of photo ${at + 1} (opens a new tab)</span></a></p>
    ${photos.length > 1 && html`<div class="actions">
      <button type="button" class="secondary" onClick=${() => show(at - 1)}>Previous photo</button>
      <button type="button" class="secondary" onClick=${() => show(at + 1)}>Next photo</button>
    </div>
    <ul class="thumbs" aria-label="All photos">${photos.map((p, i) => html`<li key=${p.id}>
      <button type="button" class="thumb" aria-current=${i === at ? "true" : undefined} onClick=${() => show(i)}
        style=${{ backgroundColor: p.color }}>
        <img src=${p.urls["320"]} alt="" loading="lazy" /><span class="sr">Show photo ${i + 1}: ${p.alt_text}</span>
      </button></li>`)}</ul>`}
  </section>`;
}

function PhotoRow({ listingId, photo, index, count, onChanged, onMove, onDeleted, moved }) {
  const [texts, setTexts] = useState({ alt_text: photo.alt_text, caption: photo.caption });
  // Through useForm: a refused text put focus on its field (it stayed on "Save texts").
  const form = useForm();
  const errors = form.errors;
  const [saved, setSaved] = useState(false);
  const up = useRef(null);
  const down = useRef(null);
  // Moved, the row's element moves in the list and the browser drops focus from the button
  // pressed: it goes back to the same button in the row's new place (the other one at an end).
  // (Once the reloaded list shows it in its new place.)
  useEffect(() => {
    if (!moved || moved.id !== photo.id || moved.to !== index) return;
    const same = moved.delta > 0 ? down.current : up.current;
    const other = moved.delta > 0 ? up.current : down.current;
    (same && !same.disabled ? same : other).focus();
  }, [moved, index]);
  async function save(e) {
    e.preventDefault();
    setSaved(false);
    if (await form.submit(() => patch(`/listings/${listingId}/photos/${photo.id}`, texts))) {
      setSaved(true);
      onChanged();
    }
  }
  async function remove() {
    // Asked inline, as every other irreversible button (it was the browser's confirm box).
    if (await form.submit(() => del(`/listings/${listingId}/photos/${photo.id}`).then(() => true))) onDeleted(index);
  }
  const label = `photo ${index + 1}`;
  return html`<li class="photo-row">
    <img src=${photo.urls["320"]} alt="" width="160" />
    <form onSubmit=${save} novalidate aria-label=${`Texts of ${label}`}>
      <${Field} label=${`Alt text of ${label}`} name="alt_text" value=${texts.alt_text} error=${errors.alt_text}
        hint="What the photo shows, read aloud by screen readers" onInput=${(e) => setTexts({ ...texts, alt_text: e.currentTarget.value })} />
      <${Field} label=${`Caption of ${label}`} name="caption" value=${texts.caption} error=${errors.caption}
        onInput=${(e) => setTexts({ ...texts, caption: e.currentTarget.value })} />
      <div class="actions">
        <button type="submit" class="secondary small">Save texts</button>
        <button type="button" class="secondary small" ref=${up} disabled=${index === 0} onClick=${() => onMove(index, -1)}>Move ${label} up</button>
        <button type="button" class="secondary small" ref=${down} disabled=${index === count - 1} onClick=${() => onMove(index, 1)}>Move ${label} down</button>
        <${ConfirmButton} label=${`Delete ${label}`} className="secondary small" question=${`Delete the photo “${photo.alt_text}”?`}
          yes="Yes, delete it" onConfirm=${remove} />
        ${index === 0 && html`<span class="hint">Cover photo</span>`}
        ${saved && html`<span role="status">Saved</span>`}
      </div>
      <${Alert} error=${errors[""]} />
    </form>
  </li>`;
}

/** The host's photos of one listing: upload, texts, order, delete. */
export function PhotoEditor({ listing, onChanged }) {
  const photos = listing.photos;
  const [file, setFile] = useState(null);
  const [texts, setTexts] = useState({ alt_text: "", caption: "" });
  const [progress, setProgress] = useState(null);
  const form = useForm();
  const [moveError, setMoveError] = useState(null);
  // What was done; `focus`: it takes focus (an upload's: Upload is disabled while the file
  // goes, and focus fell to the page).
  const [notice, setNotice] = useState(null);
  // A new key clears the file input after an upload (a file input's value cannot be set).
  const [fileKey, setFileKey] = useState(0);
  async function onUpload(e) {
    e.preventDefault();
    setNotice(null);
    setMoveError(null);
    if (!file) return form.refuse({ file: "Choose a photo first" });
    const data = new FormData();
    data.append("alt_text", texts.alt_text);
    if (texts.caption) data.append("caption", texts.caption);
    data.append("file", file);
    setProgress(0);
    const added = await form.submit(() => upload(`/listings/${listing.id}/photos`, data, setProgress).finally(() => setProgress(null)));
    if (!added) return;
    setTexts({ alt_text: "", caption: "" });
    setFile(null);
    setFileKey(fileKey + 1);
    setNotice({ text: "Photo added.", focus: true, at: Date.now() });
    onChanged();
  }
  // The photo last moved, and which way: its row puts focus back on its button.
  const [moved, setMoved] = useState(null);
  async function move(index, delta) {
    const ids = photos.map((p) => p.id);
    [ids[index], ids[index + delta]] = [ids[index + delta], ids[index]];
    setMoveError(null);
    try {
      await put(`/listings/${listing.id}/photo-order`, { photo_ids: ids });
      setNotice({ text: `Photo moved to place ${index + delta + 1}.`, focus: false, at: Date.now() });
      setMoved({ id: photos[index].id, delta, to: index + delta, at: Date.now() });
      onChanged();
    } catch (err) {
      setMoveError(err.message);
    }
  }
  // Deleted, its row goes with the focused button: the notice takes focus.
  function deleted(index) {
    setNotice({ text: `Photo ${index + 1} deleted.`, focus: true, at: Date.now() });
    onChanged();
  }
  const errors = form.errors;
  return html`<section aria-labelledby="photos-h">
    <h2 id="photos-h">Photos (${photos.length} of 20)</h2>
    <p class="hint">The first photo is the cover. JPEG, PNG, WebP or HEIC up to 15 MB, at least 320 × 240 pixels; we remove the location and camera data from every photo.</p>
    <ol class="plain photo-list">${photos.map((p, i) => html`<${PhotoRow} key=${p.id} listingId=${listing.id} photo=${p} index=${i}
      count=${photos.length} onChanged=${onChanged} onMove=${move} onDeleted=${deleted} moved=${moved} />`)}</ol>
    <form onSubmit=${onUpload} novalidate aria-label="Add a photo">
      <${Field} label="Photo" name="file" type="file" accept="image/jpeg,image/png,image/webp,image/heic,.heic" error=${errors.file}
        key=${fileKey} onChange=${(e) => setFile(e.currentTarget.files[0] || null)} />
      <${Field} label="Alt text" name="alt_text" value=${texts.alt_text} error=${errors.alt_text}
        hint="Required: what the photo shows, e.g. 'Bedroom with a desk by the window'" onInput=${(e) => setTexts({ ...texts, alt_text: e.currentTarget.value })} />
      <${Field} label="Caption (optional)" name="caption" value=${texts.caption} error=${errors.caption}
        onInput=${(e) => setTexts({ ...texts, caption: e.currentTarget.value })} />
      ${progress !== null && html`<label class="progress">Uploading <progress max="1" value=${progress}>${Math.round(progress * 100)}%</progress></label>`}
      <${Alert} error=${moveError || formError(errors, ["file", "alt_text", "caption"])} />
      ${notice && html`<${Notice} focus=${notice.focus} key=${notice.at}>${notice.text}</${Notice}>`}
      <button type="submit" disabled=${progress !== null || form.busy || photos.length >= 20}>Upload photo</button>
    </form>
  </section>`;
}
