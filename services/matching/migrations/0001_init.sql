-- Skeleton: the matching service issue adds rotations, projections and mentorships.
SELECT 1;
