"""Who may change the store: the owner trains, imports, renames and deletes; viewers explore.

How someone becomes the owner, set by the person who starts the server:
- `AECORE_OWNER_PASSWORD` (or `AECORE_OWNER_PASSWORD_FILE`, a file holding it): the sidebar asks for it;
  compared in constant time, never logged or shown;
- Streamlit's `st.login` where `[auth]` is configured in `.streamlit/secrets.toml`: owners are the e-mails in
  `AECORE_OWNER_EMAILS` (comma-separated) or in secrets `[aecore] owner_emails`.
With neither, the dashboard is open: everyone is an owner, as on a laptop, and the sidebar says so.

The checks sit in the functions that make the change (`submit`, `cancel`, `rename`, `delete`, `import_model`
here and in dashboard.state.job_runner), not in the widgets, so a forged widget message from a viewer changes nothing.
Fair use: `AECORE_VIEWERS_TRAIN=1` lets viewers train their own models (at most `AECORE_VIEWER_JOBS`, default
1, queued or running per session; they may delete only those), and each session may upload at most
`AECORE_UPLOADS_PER_MINUTE` (default 20) images a minute.
"""

import hashlib
import hmac
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from aecore.errors import AecoreError

SESSION_ID = "aecore_session_id"
OWNER_FLAG = "aecore_owner_by_password"
UPLOADS = "aecore_upload_times"


class NotAllowed(AecoreError):
    """A viewer asked for something only the owner may do."""


@dataclass(frozen=True)
class Visitor:
    role: str  # "owner" or "viewer"
    session: str  # this browser session's id: whose jobs and models are whose
    how: str  # "open", "password", "login": how the server decides who is the owner

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    def require_owner(self, action: str):
        if not self.is_owner:
            raise NotAllowed(f"Only the owner of this dashboard can {action}; you are exploring as a viewer. "
                             + ("Sign in as the owner in the sidebar." if self.how != "open" else ""))


def owner_password() -> str | None:
    text = os.environ.get("AECORE_OWNER_PASSWORD")
    path = os.environ.get("AECORE_OWNER_PASSWORD_FILE")
    if not text and path:
        try:
            text = Path(path).read_text().strip()
        except OSError as error:
            raise AecoreError(f"AECORE_OWNER_PASSWORD_FILE cannot be read ({error.strerror}); fix the path or unset it")
    return text or None


def login_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001  no secrets.toml at all: Streamlit raises its own FileNotFoundError types
        return False


def owner_emails() -> set[str]:
    listed = os.environ.get("AECORE_OWNER_EMAILS", "")
    if not listed and login_configured():
        listed = ",".join(st.secrets.get("aecore", {}).get("owner_emails", []))
    return {email.strip().lower() for email in listed.split(",") if email.strip()}


def mode() -> str:
    if owner_password():
        return "password"
    return "login" if login_configured() else "open"


def current() -> Visitor:
    """This session's visitor, decided on the server from its own state on every call."""
    session = st.session_state.setdefault(SESSION_ID, uuid.uuid4().hex)
    how = mode()
    owner = how == "open" or bool(st.session_state.get(OWNER_FLAG))
    if how == "login" and getattr(st.user, "is_logged_in", False):
        owner = owner or str(st.user.get("email", "")).lower() in owner_emails()
    return Visitor("owner" if owner else "viewer", session, how)


def check_password(given: str) -> bool:
    """Constant-time comparison of digests, so neither the length nor a prefix of the password leaks by timing."""
    secret = owner_password()
    if not secret:
        return False
    same = hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(secret.encode()).digest())
    if same:
        st.session_state[OWNER_FLAG] = True
    return same


def viewers_train() -> bool:
    return os.environ.get("AECORE_VIEWERS_TRAIN", "").strip() in ("1", "true", "yes")


def viewer_job_limit() -> int:
    return max(0, int(os.environ.get("AECORE_VIEWER_JOBS", "1") or 1))


def may_train(visitor: Visitor) -> bool:
    return visitor.is_owner or viewers_train()


def may_change_model(visitor: Visitor, meta: dict) -> bool:
    """The owner renames and deletes any model (the store itself refuses a shipped one); a viewer only the models
    their own session trained."""
    return visitor.is_owner or (viewers_train() and meta.get("submitted_by") == visitor.session)


def allow_upload(data: bytes, now: float | None = None) -> bool:
    """Counts a new upload against this session's budget (the same file again, as reruns bring it, is free);
    False when the budget of the last minute is spent, and then nothing is processed."""
    limit = int(os.environ.get("AECORE_UPLOADS_PER_MINUTE", "20") or 20)
    now = time.monotonic() if now is None else now
    digest = hashlib.sha256(data).hexdigest()
    recent = {key: moment for key, moment in st.session_state.get(UPLOADS, {}).items() if now - moment < 60}
    allowed = digest in recent or len(recent) < limit
    if allowed:
        recent.setdefault(digest, now)
    st.session_state[UPLOADS] = recent
    return allowed


UPLOAD_LIMIT_MESSAGE = ("That is more new images in a minute than this dashboard takes from one visitor "
                        "(AECORE_UPLOADS_PER_MINUTE); try again in a minute.")


def rename_model(store, visitor: Visitor, name: str, new_name: str):
    if not may_change_model(visitor, store.meta(name)):
        visitor.require_owner("rename models")
    return store.rename(name, new_name)


def delete_model(store, visitor: Visitor, name: str):
    if not may_change_model(visitor, store.meta(name)):
        visitor.require_owner("delete models")
    store.delete(name)


def sidebar_panel(visitor: Visitor):
    """One line on who may change things here, and the owner's way in."""
    if visitor.how == "open":
        st.sidebar.caption("Open dashboard: everyone here can train and delete. To host it for a class, start it "
                           "with AECORE_OWNER_PASSWORD set.")
        return
    if visitor.is_owner:
        st.sidebar.caption(":material/admin_panel_settings: You are the owner: you can train, import and delete.")
        if visitor.how == "password" and st.sidebar.button("Sign out", key="owner-sign-out"):
            st.session_state.pop(OWNER_FLAG, None)
            st.rerun()
        elif visitor.how == "login" and getattr(st.user, "is_logged_in", False):
            st.sidebar.button("Log out", key="owner-log-out", on_click=st.logout)
        return
    st.sidebar.caption(":material/visibility: You are exploring as a viewer: every page works; the owner trains, "
                       "imports and deletes" + (", and you may train models of your own." if viewers_train() else "."))
    if visitor.how == "password":
        with st.sidebar.expander("Owner sign-in"), st.form("owner-sign-in", clear_on_submit=True, border=False):
            given = st.text_input("Owner password", type="password", key="owner-password")
            if st.form_submit_button("Sign in"):
                if check_password(given):
                    st.rerun()
                st.error("That is not the owner password.")
    elif visitor.how == "login":
        st.sidebar.button("Log in as the owner", key="owner-log-in", on_click=st.login)
