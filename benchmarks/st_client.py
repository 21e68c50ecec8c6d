"""A headless Streamlit client: one browser session over the app's own websocket protocol.

It speaks what the browser speaks on /_stcore/stream: BackMsg `rerun_script` (a ClientState with
the page, query string, widget values and, for a widget drawn by an st.fragment, that fragment's
id) up, ForwardMsg `new_session`, `delta`, `auto_rerun` and
`script_finished` down (protobufs from streamlit.proto). Widgets are found by their user key (the
end of an element id, `$$ID-<hash>-<key>`), so a client drives a page the way a test drives it by
key. Many of these run in one asyncio loop far more cheaply than browser pages, while the server
does exactly the work it does for a browser.

Errors seen: an exception element, an error alert, a "page not found", a compile error or a
dropped connection. `rerun` returns the seconds from sending the request to the server's
"script finished" for that run: the control-to-update latency without browser drawing time.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
STARTED = "started"


def user_key(element_id: str) -> str | None:
    """The key a page gave a widget, from its element id; None when it has none."""
    if not element_id.startswith("$$ID-"):
        return None
    key = element_id.split("-", maxsplit=2)[-1]
    return None if key == "None" else key


@dataclass
class Run:
    """What one script run drew: widgets by key, element kinds by key, texts of progress bars."""

    widgets: dict[str, object] = field(default_factory=dict)  # key -> widget proto (slider, ...)
    progress: list[str] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    fragments: dict[str, str] = field(default_factory=dict)  # widget key -> id of the fragment drawing it


class StreamlitClient:
    """One session of the app at `base_url` (http://host:port), in language `lang`."""

    def __init__(self, base_url: str, name: str, lang: str = "en", cookie: str = "") -> None:
        self.ws_url = base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self.cookie = cookie  # what a browser that loaded the page would send (e.g. a route cookie)
        self.name, self.lang = name, lang
        self.errors: list[str] = []
        self.page, self.page_hash = "", ""
        self.run = Run()
        self.fragment: tuple[str, float] | None = None  # (fragment id, interval) of an auto rerun
        self._states: dict[str, WidgetState] = {}
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._finished: asyncio.Queue = asyncio.Queue()
        self.last_status: int | None = None

    # ---- connection
    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        headers = {"Cookie": self.cookie} if self.cookie else None
        self._ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=60,
                                 ping_interval=None, additional_headers=headers)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    # ---- driving the page
    async def open(self, page: str, timeout: float = 120) -> float:
        """Go to `page` (its URL path) with fresh widgets; seconds until its run finished."""
        self.page, self._states, self.fragment, self.page_hash = page, {}, None, ""
        return await self.rerun(timeout=timeout)

    async def set(self, key: str, value: object, timeout: float = 120) -> float:
        """Give the widget `key` a new value (slider numbers, an option's position for a
        selectbox/radio, a bool for a checkbox/toggle) and rerun, as a browser does: only the
        fragment the widget is in, if it is in one; seconds to the finished run."""
        self._states[key] = self._state_for(key, value)
        return await self.rerun(fragment_id=self.run.fragments.get(key, ""), timeout=timeout)

    async def click(self, key: str, timeout: float = 120) -> float:
        """Press the button `key` and rerun."""
        state = WidgetState(id=self._widget_id(key), trigger_value=True)
        return await self.rerun(extra=[state], timeout=timeout)

    async def rerun(self, fragment_id: str = "", extra: list | None = None, timeout: float = 120) -> float:
        """Send a rerun request; seconds until a run finished successfully."""
        while not self._finished.empty():
            self._finished.get_nowait()
        if not fragment_id:
            self.run, self.fragment = Run(), None  # a full run registers its auto reruns again
        self.run.progress = []
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = f"lang={self.lang}"
        state.page_name = self.page
        state.page_script_hash = self.page_hash  # as the browser does once the page has run
        state.fragment_id = fragment_id
        state.widget_states.widgets.extend([*self._states.values(), *(extra or [])])
        start = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        await asyncio.wait_for(self._wait_done(full=not fragment_id), timeout)
        return time.perf_counter() - start

    async def poll_fragment(self, timeout: float = 120) -> float:
        """Do what the browser does for `run_every`: rerun the auto-rerun fragment."""
        if self.fragment is None:
            return 0.0
        return await self.rerun(fragment_id=self.fragment[0], timeout=timeout)

    # ---- widgets
    def _widget_id(self, key: str) -> str:
        if key not in self.run.widgets:
            raise KeyError(f"{self.name}: no widget {key!r} on {self.page}")
        return self.run.widgets[key].id

    def _state_for(self, key: str, value: object) -> WidgetState:
        proto = self.run.widgets.get(key) if key in self.run.widgets else None
        state = WidgetState(id=self._widget_id(key))
        kind = type(proto).__name__
        if kind == "Slider":
            state.double_array_value.data.extend([float(value)])
        elif kind in ("Selectbox", "Radio"):
            state.string_value = proto.options[int(value)]
        elif kind in ("Checkbox",):
            state.bool_value = bool(value)
        elif kind == "NumberInput":
            state.double_value = float(value)
        else:
            raise TypeError(f"{kind} widgets are not supported by this client")
        return state

    # ---- messages from the server
    async def _wait_done(self, full: bool) -> None:
        """Until a run finished successfully; for a full rerun, one that started after the request
        (a run the server started by itself may still be finishing when the request is sent)."""
        started = not full
        while True:
            status = await self._finished.get()
            if status is None:
                raise ConnectionError(f"{self.name}: connection closed")
            if status == STARTED:
                started = True
            elif started and status in DONE:
                self.last_status = status  # a full run's or a fragment run's success
                return

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
        except Exception as err:  # noqa: BLE001 - a dropped connection is an error of the session
            self.errors.append(f"{self.name}: connection lost ({type(err).__name__})")
        finally:
            self._finished.put_nowait(None)

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, msg.delta.fragment_id)
        elif kind == "navigation":  # st.navigation ran: the page that runs
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "auto_rerun":
            self.fragment = (msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self.fragment = None
        elif kind == "page_not_found":
            self.errors.append(f"{self.name}: page not found ({self.page})")
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            self.errors.append(f"{self.name}: script compilation error on {self.page}")
        elif kind == "new_session" and not msg.metadata.run.fragment_ids:  # a full run starts
            self.run = Run()
            self._finished.put_nowait(STARTED)
        elif kind == "script_finished":
            self._finished.put_nowait(msg.script_finished)

    def _element(self, element, fragment_id: str = "") -> None:
        kind = element.WhichOneof("type")
        body = getattr(element, kind)
        if kind == "exception":
            self.errors.append(f"{self.name}: exception on {self.page}: {body.type}: {body.message[:200]}")
        elif kind == "alert" and body.format == Alert.ERROR:
            self.errors.append(f"{self.name}: error shown on {self.page}: {body.body[:200]}")
        elif kind == "progress":
            self.run.progress.append(body.text)
        key = user_key(getattr(body, "id", "") or "")
        if key:
            self.run.keys.add(key)
            if fragment_id:
                self.run.fragments[key] = fragment_id
            if hasattr(body, "default") or kind in ("button", "checkbox"):
                self.run.widgets[key] = body
