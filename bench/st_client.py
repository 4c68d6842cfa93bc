"""One Streamlit browser session without a browser: the websocket protocol of Streamlit's own client, so a load
driver measures the server and not the browsers (issue #37).

It does what the browser's client does on the wire: GET /_stcore/health (cookies: Streamlit's XSRF token, and the
proxy's affinity cookie behind `make class`), open /_stcore/stream with the subprotocols ("streamlit", the XSRF
token, and on a reconnect the old session id), send `BackMsg.rerun_script` (a `ClientState`: page, widget values,
the hashes of the big messages it holds) and read `ForwardMsg`s until `script_finished`. Big elements it has seen
come back as references (`ref_hash`), as in a browser, and are taken from its own cache.

    session = Session("http://127.0.0.1:8600")
    page = await session.open("feature_maps")
    page = await session.set_number(page.widget_id("number_input", "Test image"), 5)
    page.find(r"BCE (\\d+\\.\\d+)")
"""

import asyncio
import http.cookiejar
import re
import time
import urllib.request
from dataclasses import dataclass

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

SERVER_HEADER = "X-Aecore-Server"  # set by `make class`'s nginx: which dashboard process answered
XSRF_COOKIE = "_streamlit_xsrf"
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


class SessionError(Exception):
    """The server closed the session, answered with an exception, or did not finish a run in time."""


@dataclass
class Page:
    """What one script run put on the page: its elements by delta path, the server that ran it, how long it took."""

    elements: dict[tuple, Element]
    server: str | None
    seconds: float
    session_id: str

    def texts(self) -> list[str]:
        """Markdown, captions, headings, alerts, plain text and metric values, in page order."""
        found = []
        for path in sorted(self.elements):
            element = self.elements[path]
            kind = element.WhichOneof("type")
            if kind in ("markdown", "text", "heading", "alert"):
                found.append(getattr(element, kind).body)
            elif kind == "metric":
                found.append(f"{element.metric.label}: {element.metric.body}")
        return found

    def find(self, pattern: str) -> re.Match | None:
        return next((match for text in self.texts() if (match := re.search(pattern, text))), None)

    def widget_id(self, kind: str, label: str) -> str:
        for element in self.elements.values():
            if element.WhichOneof("type") == kind and getattr(element, kind).label == label:
                return getattr(element, kind).id
        raise SessionError(f"no {kind} labelled {label!r} on the page (texts: {self.texts()[:5]})")

    def exceptions(self) -> list[str]:
        return [element.exception.message for element in self.elements.values()
                if element.WhichOneof("type") == "exception"]


class Session:
    """One browser tab: a cookie jar, a websocket, the widget values it sends, the big messages it caches."""

    def __init__(self, url: str, timeout: float = 120):
        self.url, self.timeout = url.rstrip("/"), timeout
        self.cookies = http.cookiejar.CookieJar()
        self.socket = None
        self.server: str | None = None  # the proxy's X-Aecore-Server of the websocket's upgrade answer
        self.session_id = ""
        self.page_hash = ""
        self.widgets: dict[str, WidgetState] = {}
        self.cache: dict[str, ForwardMsg] = {}  # hash -> message, as the browser's ForwardMsgCache holds them
        self.fragment_of: dict[str, str] = {}  # widget id -> the st.fragment it sits in (its change reruns only that)

    async def connect(self):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        await asyncio.to_thread(lambda: opener.open(f"{self.url}/_stcore/health", timeout=self.timeout).read())
        cookies = {cookie.name: cookie.value for cookie in self.cookies}
        protocols = ["streamlit", cookies.get(XSRF_COOKIE, "")] + ([self.session_id] if self.session_id else [])
        address = self.url.replace("http", "ws", 1) + "/_stcore/stream"
        self.socket = await connect(address, subprotocols=protocols, origin=self.url, max_size=None,
                                    additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
                                    open_timeout=self.timeout, ping_interval=None)
        self.server = self.socket.response.headers.get(SERVER_HEADER)

    async def open(self, page_name: str) -> Page:
        """A fresh visit to /<page_name>: connects, then runs that page with no widget values."""
        if self.socket is None:
            await self.connect()
        self.widgets.clear()
        return await self._run(page_name=page_name)

    async def set_number(self, widget_id: str, value: int) -> Page:
        """Types `value` into a number input, as the browser does on Enter; returns the page of that rerun. A widget
        inside an `st.fragment` reruns only its fragment, as in the browser (the page holds the fragment's elements)."""
        self.widgets[widget_id] = WidgetState(id=widget_id, int_value=value)
        return await self._run(fragment_id=self.fragment_of.get(widget_id, ""))

    async def submit(self, button_id: str, values: dict[str, int | str]) -> Page:
        """Fills widgets (whole numbers, text) and presses a button: a form's submit, as the browser sends it."""
        for widget_id, value in values.items():
            kind = "int_value" if isinstance(value, int) else "string_value"
            self.widgets[widget_id] = WidgetState(id=widget_id, **{kind: value})
        self.widgets[button_id] = WidgetState(id=button_id, trigger_value=True)
        try:
            return await self._run()
        finally:
            del self.widgets[button_id]  # a click counts once

    async def rerun(self) -> Page:
        """The page again with the same widget values (what an automatic rerun shows)."""
        return await self._run()

    async def reconnect(self, page_name: str) -> Page:
        """What the browser does when its websocket drops: connect again, offering the old session id, and rerun
        the page with the widget values it holds. On another process (the first one died) that is a new session,
        which may draw the widgets at their defaults instead (seen both ways): pick again to be sure."""
        await self.close()
        await self.connect()
        return await self._run(page_name=page_name if not self.page_hash else "")

    async def _run(self, page_name: str = "", fragment_id: str = "") -> Page:
        message = BackMsg()
        state = message.rerun_script
        state.page_name, state.page_script_hash = page_name, "" if page_name else self.page_hash
        state.fragment_id = fragment_id
        state.widget_states.widgets.extend(self.widgets.values())
        state.cached_message_hashes.extend(self.cache)
        state.context_info.timezone, state.context_info.locale = "UTC", "en-GB"
        started = time.perf_counter()
        try:
            await self.socket.send(message.SerializeToString())
            elements = await asyncio.wait_for(self._read_run(), self.timeout)
        except ConnectionClosed as error:  # the process behind it ended, or the proxy dropped it
            raise SessionError(f"the connection closed ({error})") from error
        except TimeoutError as error:
            raise SessionError(f"no answer within {self.timeout:.0f} s") from error
        return Page(elements, self.server, time.perf_counter() - started, self.session_id)

    async def _read_run(self) -> dict[tuple, Element]:
        elements = {}
        async for data in self.socket:
            message = ForwardMsg.FromString(data)
            kind = message.WhichOneof("type")
            if kind == "ref_hash":
                message = self._cached(message)
                kind = "delta"
            elif message.metadata.cacheable:
                self.cache[message.hash] = message
            if kind == "new_session":  # its page_script_hash is app.py's; the page's comes with `navigation`
                self.session_id = message.new_session.initialize.session_id
            elif kind == "navigation":
                self.page_hash = message.navigation.page_script_hash or self.page_hash
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = elements[tuple(message.metadata.delta_path)] = message.delta.new_element
                self._note_fragment(element, message.delta.fragment_id)
            elif kind == "script_finished" and message.script_finished in FINISHED:
                return elements
        raise SessionError(f"the server closed the session ({self.socket.close_code} {self.socket.close_reason})")

    def _note_fragment(self, element: Element, fragment_id: str):
        widget = getattr(element, element.WhichOneof("type") or "", None)
        if widget is not None and "id" in widget.DESCRIPTOR.fields_by_name and widget.id:
            self.fragment_of[widget.id] = fragment_id

    def _cached(self, reference: ForwardMsg) -> ForwardMsg:
        if reference.ref_hash not in self.cache:
            raise SessionError(f"the server referred to a message this session never received ({reference.ref_hash})")
        message = ForwardMsg()
        message.CopyFrom(self.cache[reference.ref_hash])
        message.metadata.CopyFrom(reference.metadata)
        return message

    async def close(self):
        if self.socket is not None:
            await self.socket.close()
            self.socket = None
