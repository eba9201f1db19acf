"""The Dash app: `create_app(db_path)` builds it, `serve(db_path)` runs it.

    stance dashboard --db warehouse.duckdb                   # http://127.0.0.1:8050
    STANCE_DASHBOARD_TOKEN=... stance dashboard --db w.duckdb --host 0.0.0.0

Security: the app only reads the warehouse through a locked-down Reader and writes
only label corrections. Binding a non-loopback address is refused unless
authentication is configured in the environment (STANCE_DASHBOARD_TOKEN, or
STANCE_DASHBOARD_USER + STANCE_DASHBOARD_PASSWORD): every request then needs HTTP
basic auth (any user name with the token as password, or the user and password).
"""
from __future__ import annotations

import base64
import hmac
import ipaddress
import os
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import flask
import flask_bootstrap
import waitress
from dash import dcc, html

from dashboard import components, filters, ids, state
from dashboard.runtime import freeze_long_lived_objects
from dashboard.state import AppState
from warehouse.location import Location

HERE = Path(__file__).resolve().parent
BOOTSTRAP_URL = "/_vendor/bootstrap.min.css"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def create_app(db_path: str | Path, warm_up: bool = True) -> dash.Dash:
    """A Dash app over the warehouse at `db_path` (which must exist)."""
    if not Location.parse(db_path).exists():
        raise FileNotFoundError(f"{db_path}: no such warehouse (run `stance etl --db {db_path} INPUT...` first)")
    app = dash.Dash(
        "dashboard",  # so the pages load as modules dashboard.pages.<name>
        use_pages=True, pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        external_stylesheets=[BOOTSTRAP_URL],
        suppress_callback_exceptions=True,  # page components appear only when their page is shown
        title="Stance dashboard", update_title=None,
    )
    serve_bootstrap(app.server)
    st = AppState.open(db_path)
    state.attach(app.server, st)
    install_auth(app.server)
    app.layout = shell
    filters.register(app)
    components.register(app)
    if warm_up:
        st.warm_up()
    return app

def serve_bootstrap(server: flask.Flask) -> None:
    """Bootstrap 5's CSS from the installed Bootstrap-Flask package: styled offline, nothing vendored."""
    css = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5" / "css"

    @server.route(BOOTSTRAP_URL)
    def bootstrap_css():
        return flask.send_from_directory(css, "bootstrap.min.css", max_age=86400)


def shell():
    """The frame around every page: navigation, global filters, stores, page content."""
    st = state.current()
    nav = [dbc.NavItem(dbc.NavLink(p["name"], href=p["relative_path"], id=ids.nav_link(p["relative_path"])))
           for p in dash.page_registry.values()]
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.FILTERS), dcc.Store(id=ids.QUERY), dcc.Store(id=ids.URL_WRITER),
        dbc.Navbar(dbc.Container([dbc.NavbarBrand("Stance", href="/"), dbc.Nav(nav, navbar=True, id=ids.NAV)],
                                 fluid=True), color="dark", dark=True, class_name="mb-3"),
        dbc.Container([filters.filter_bar(st.options()), dash.page_container], fluid=True),
    ])


# --- authentication ---------------------------------------------------------------------------
def auth_settings() -> dict | None:
    """Credentials from the environment, or None when none are configured."""
    token = os.environ.get("STANCE_DASHBOARD_TOKEN")
    user, password = os.environ.get("STANCE_DASHBOARD_USER"), os.environ.get("STANCE_DASHBOARD_PASSWORD")
    if token:
        return {"token": token}
    if user and password:
        return {"user": user, "password": password}
    return None


def install_auth(server: flask.Flask) -> None:
    """Require HTTP basic auth on every request when credentials are configured."""
    settings = auth_settings()
    if settings is None:
        return

    @server.before_request
    def require_auth():
        user = authorised_user(flask.request.headers.get("Authorization", ""), settings)
        if user is None:
            return flask.Response("Authentication required.", 401, {"WWW-Authenticate": 'Basic realm="stance"'})
        flask.g.user = user
        return None


def authorised_user(header: str, settings: dict) -> str | None:
    """The user name when the Authorization header carries valid credentials."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and "token" in settings:
        return "token" if _same(value.strip(), settings["token"]) else None
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    if "token" in settings:
        return (user or "token") if _same(password, settings["token"]) else None
    ok = _same(user, settings["user"]) & _same(password, settings["password"])
    return user if ok else None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Run the dashboard; refuses a non-loopback host without authentication configured."""
    if not is_loopback(host) and auth_settings() is None:
        raise SystemExit(
            f"Refusing to serve on {host}: anyone on the network could read the warehouse. Set "
            "STANCE_DASHBOARD_TOKEN (or STANCE_DASHBOARD_USER and STANCE_DASHBOARD_PASSWORD) to require a "
            "login, or bind 127.0.0.1."
        )
    app = create_app(db_path)
    freeze_long_lived_objects()
    print(f"Stance dashboard on http://{host}:{port}/ (warehouse {db_path})", flush=True)
    waitress.serve(app.server, host=host, port=port, threads=8)
