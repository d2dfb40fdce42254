"""Property-based fuzzing of /mcp, the authorization server and the sign-in pages.

hypothesis drives the Flask test client of one app built for this package (migrated SQLite in a
temporary folder, as tests/conftest's `make_app` builds them); schemathesis runs its stateless
checks over tests/fuzz/openapi.yaml against the same WSGI app. Every property has a fixed budget
and prints what it ran: the examples and the statuses seen.

The server bugs the fuzzers found are listed in FIXED_BUGS (fixed: each keeps its reproducer in
test_fixed_bugs.py as a regression test) or KNOWN_BUGS (still open), and deviations from the
RFCs that are not 5xx in DEVIATIONS. An open bug or deviation has a strict-xfail reproducer; a
fuzzer that meets an input hitting an open bug, and only when the server really answers as that
bug does, counts it ("known Bn" in its report) and goes on, so one known bug does not hide the next.
A fixed bug is never excused: the fuzzers fail on it again. When an open bug is fixed its reproducer
XPASSes, which fails the run (strict): then move its entry to FIXED_BUGS. Lone surrogates stay out
of the generated JSON strings (hypothesis's text never holds them); the hostile-bytes fuzzer and
B1's reproducer send them.

The app's own log is silenced while the fuzzers run (the known bugs' tracebacks would bury the
report); the reproducers turn it back on.

The package: known.py (the bug registry, the app's constants, budgets and tallies), target.py and
conftest.py (the app under test and its `target` fixture), harness.py (sending and judging),
strategies.py (hypothesis strategies); then one test module per surface: test_mcp_messages.py,
test_mcp_transport.py, test_oauth.py, test_sign_in.py, test_openapi.py, test_rate_limits.py, and
test_fixed_bugs.py (the reproducers).
"""
