"""Every simulator on free loopback ports, in one background thread running
one asyncio loop.

- OpenAI app: ``/v1/chat/completions``, ``/v1/models``, the Realtime
  WebSocket ``/v1/realtime`` (``sim.realtime.RealtimeSim``),
  and the control API under ``/_sim/``.
- Ultravox app: ``/api/...``. Twilio app: ``/2010-04-01/...``.

``secrets`` holds freshly generated credentials the sims accept."""
from __future__ import annotations

import asyncio
import logging
import secrets as pysecrets
import threading
import uuid
from pathlib import Path

from aiohttp import web

from core import config
from sim.control import ControlApi
from sim.faults import Faults
from sim.http_faults import fault_middleware
from sim.network import PhoneNetwork
from sim.openai_http import OpenAIHttpSim
from sim.personas import Personas
from sim.realtime import RealtimeSim
from sim.twilio import TwilioSim
from sim.ultravox import UltravoxSim

log = logging.getLogger(__name__)
FROM_NUMBER = "+12025550100"
_REPO = Path(__file__).resolve().parent.parent


def resolve_personas_path(settings: config.Settings, explicit: str | Path | None) -> Path:
    if explicit is not None:
        return Path(explicit)
    rel = Path(settings.sim.personas_file)
    if rel.is_absolute():
        return rel
    for base in (Path.cwd(), _REPO):
        if (base / rel).exists():
            return base / rel
    return Path.cwd() / rel


class SimCluster:
    def __init__(self, settings: config.Settings, *, host: str = "127.0.0.1",
                 personas_path: str | Path | None = None, ultravox_max_concurrent: int | None = None,
                 ultravox_join_timeout_s: float = 30.0, ultravox_min_join_real_s: float = 0.0,
                 ultravox_history: str | Path | None = None) -> None:
        self.settings = settings
        self.host = host
        self.speed = settings.sim.speed
        self.faults = Faults()
        self.personas = Personas.load(resolve_personas_path(settings, personas_path))
        self.network = PhoneNetwork()
        self.secrets = config.Secrets(
            openai_api_key="sk-sim-" + pysecrets.token_hex(16),
            ultravox_api_key="uv-sim-" + pysecrets.token_hex(16),
            ultravox_agent_id=str(uuid.uuid4()),
            twilio_account_sid="AC" + pysecrets.token_hex(16),
            twilio_auth_token=pysecrets.token_hex(16),
            twilio_from_number=FROM_NUMBER,
        )
        self.urls: dict[str, str] = {}
        self.realtime: RealtimeSim | None = None
        self.openai: OpenAIHttpSim | None = None
        self.ultravox: UltravoxSim | None = None
        self.twilio: TwilioSim | None = None
        # the accounts' limits are the ones the engines are configured to keep
        limits = settings.calling
        self._uv_limits = (ultravox_max_concurrent or limits.max_concurrent_calls, ultravox_join_timeout_s)
        self._uv_min_join_real_s = ultravox_min_join_real_s
        self._uv_history = ultravox_history
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runners: list[web.AppRunner] = []
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._error: BaseException | None = None

    # --- lifecycle ------------------------------------------------------------

    def start(self) -> "SimCluster":
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._main, name="sim-cluster", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"simulators failed to start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if self._stopped is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._stopped.set)
        thread.join()
        self._thread = None

    def __enter__(self) -> "SimCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as e:  # reported to start(); logged for a crash after start
            if not self._ready.is_set():
                self._error = e
            else:
                log.exception("simulator loop crashed")
        finally:
            self._ready.set()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        try:
            await self._build()
            self._ready.set()
            await self._stopped.wait()
        finally:
            await self._teardown()

    async def _site(self, app: web.Application) -> int:
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        return int(runner.addresses[0][1])

    async def _build(self) -> None:
        s = self.secrets
        self.openai = OpenAIHttpSim(api_key=s.openai_api_key, faults=self.faults)
        self.ultravox = UltravoxSim(api_key=s.ultravox_api_key, agent_id=s.ultravox_agent_id, faults=self.faults,
                                    network=self.network, speed=self.speed,
                                    max_concurrent=self._uv_limits[0], join_timeout_s=self._uv_limits[1],
                                    min_join_real_s=self._uv_min_join_real_s, history_path=self._uv_history,
                                    per_second=self.settings.calling.calls_per_second,
                                    per_minute=self.settings.calling.calls_per_minute)
        self.twilio = TwilioSim(account_sid=s.twilio_account_sid, auth_token=s.twilio_auth_token,
                                from_number=s.twilio_from_number, faults=self.faults, network=self.network,
                                personas=self.personas, speed=self.speed,
                                per_second=self.settings.calling.calls_per_second)
        openai_app = web.Application(middlewares=[
            fault_middleware(self.faults, "openai", "/v1/", exclude=("/v1/realtime",))])
        openai_app.add_routes(self.openai.routes())
        openai_app.add_routes(ControlApi(self).routes())
        self.realtime = RealtimeSim(api_key=s.openai_api_key, faults=self.faults,
                                    session_max_s=self.settings.sim.session_max_s, speed=self.speed)
        openai_app.add_routes(self.realtime.routes())
        p_openai = await self._site(openai_app)
        p_uv = await self._site(self.ultravox.app())
        p_tw = await self._site(self.twilio.app())
        h = self.host
        self.urls = {
            "openai_realtime_url": f"ws://{h}:{p_openai}/v1/realtime",
            "openai_api_base": f"http://{h}:{p_openai}/v1",
            "ultravox_base_url": f"http://{h}:{p_uv}/api",
            "twilio_base_url": f"http://{h}:{p_tw}",
            "control_url": f"http://{h}:{p_openai}/_sim",
        }

    async def _teardown(self) -> None:
        if self.twilio is not None:
            await self.twilio.close()
        if self.ultravox is not None:
            self.ultravox.close()
        if self.realtime is not None:
            try:
                await self.realtime.close()
            except Exception:
                log.exception("closing the Realtime simulator failed")
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
