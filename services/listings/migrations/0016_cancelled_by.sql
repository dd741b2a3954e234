-- Who cancelled a stay, its side: 'guest' or 'host' (a deleted account cancels as the side
-- it was). A guest may review a host who cancelled their accepted or paid stay, for a time
-- after the cancellation (domain.review_sides); until now only the BookingCancelled event
-- said who cancelled, so stays cancelled before this keep NULL and open no review.
ALTER TABLE bookings ADD COLUMN cancelled_by text CHECK (cancelled_by IN ('guest', 'host'));

-- A review of a stay its host cancelled says so (it counts like any other in the averages).
ALTER TABLE reviews ADD COLUMN stay_cancelled_by_host boolean NOT NULL DEFAULT false;
