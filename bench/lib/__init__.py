"""The benchmarks' library: what the runs under ``bench/`` share, so that each run
(``search.py``, ``chaos.py``, ``messaging.py``, ``matching.py``, ``room_matches.py``) holds
only its own scenario and report, and tests import a load generator from here rather than
from a benchmark script.

- ``common``: progress lines, a scratch data folder, small HTTP helpers, percentiles;
- ``cpu``: CPU seconds per process (and what else ran on the machine) over a measured run;
- ``load``: closed-loop HTTP load (wrk, or an aiohttp fallback) and an open-loop schedule;
- ``profiling``: py-spy under load and a summary of where the time goes;
- ``seed``: synthetic listings, hosts and stays written straight into listings' tables;
- ``plans``: EXPLAIN of the listings service's search SQL and checks on its plans;
- ``cluster_load``, ``consistency``, ``faults``: load through the cluster's gateways under
  faults and the checks of what the clients were told against what was stored.
"""
