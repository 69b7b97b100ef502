"""The console fixtures (a runtime on a temporary folder, UTC) for the
hostile-input suite."""
from tests.tui.conftest import make_runtime, utc  # noqa: F401  (fixtures)
