from calling.engine import CallingEngine
from tests.calling.conftest import drive, engine_config, running


def test_success_persona_completes(sims, jobs, bus, recorder, tmp_path):
    cfg = engine_config(sims, tmp_path)
    job = jobs.create_job("+12025550101", "Akhil", "confirm the invoice", max_retries=1)
    with running(CallingEngine(cfg, bus, jobs)):
        done = drive(jobs, job["id"])
    assert done["overall_status"] == "COMPLETED_SUCCESS", done
