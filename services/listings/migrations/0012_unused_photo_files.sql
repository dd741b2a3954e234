-- Photo files to delete (audit 2, finding 5): a photo's files are shared by every photo of
-- the same image (content-hash names), so the transaction that deletes a photo's row queues
-- its files here, and they are deleted after the commit, under the content's lock, only if
-- no photo uses them any more (services/listings/files.py). A process that dies after the
-- commit leaves the row, and the next sweep deletes the files: they are never forgotten.
CREATE TABLE unused_photo_files (
    -- The 320 px variant's key, which names the photo's files together (files_in_use).
    small_key  text PRIMARY KEY,
    -- Every variant's key.
    keys       text[] NOT NULL,
    queued_at  timestamptz NOT NULL DEFAULT now()
);

-- Archiving now deletes a listing's photos (it cannot be undone, and nobody, its host
-- included, can open an archived listing any more); those archived before kept theirs,
-- still public at their URLs: they go now, their files at the first sweep.
WITH gone AS (
    DELETE FROM listing_photos p USING listings l
    WHERE l.id = p.listing_id AND l.status = 'archived'
    RETURNING p.variants
)
INSERT INTO unused_photo_files (small_key, keys)
SELECT gone.variants -> '320' ->> 'key', array_agg(DISTINCT v.value ->> 'key' ORDER BY v.value ->> 'key')
FROM gone, jsonb_each(gone.variants) v
GROUP BY 1;
UPDATE listings SET photo_count = 0, cover = NULL
WHERE status = 'archived' AND (photo_count <> 0 OR cover IS NOT NULL);
