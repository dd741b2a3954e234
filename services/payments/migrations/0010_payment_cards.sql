-- The card a payment was made with, as the guest's receipt names it: its brand and last
-- four digits ("Visa ending 4242"), from Stripe's payment method once the payment succeeded.
-- Nothing more of the card is kept. NULL: paid before this, or Stripe did not say.
ALTER TABLE payments ADD COLUMN card text;
