-- The operators' queue names the other accounts already verified with the same NPI or
-- licence (an NPI names one person): looked up per credential shown.
CREATE INDEX verifications_verified_npi ON verifications (npi) WHERE status = 'verified' AND npi IS NOT NULL;
CREATE INDEX verifications_verified_license ON verifications (license_number, license_state)
    WHERE status = 'verified' AND license_number IS NOT NULL;
