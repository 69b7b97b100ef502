"""The console fixtures (a runtime on a temporary folder, UTC) for the
hostile-input suite."""
from tests.tui.conftest import make_runtime, utc  # noqa: F401  (fixtures)
from tests.calling.conftest import sims  # noqa: F401,E402  (the simulators, on loopback)
from tests.web.conftest import mirror, no_mirror_errors, runtime, ws_client  # noqa: F401,E402  (the mirror)
