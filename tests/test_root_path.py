"""The service behind a reverse proxy under a path of its own (https://intranet.example/fagmatch/):
with `--root-path /fagmatch`, every page, form, asset, redirect, API doc and feed link stays under
the path, whether the proxy passes the prefix on or strips it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.root_path import parse_root_path
from service.state import ServiceConfig

pytestmark = pytest.mark.slow
ROOT = "/fagmatch"
ADDRESS = re.compile(r'(?:href|src|action|formaction)="([^"]*)"')


@pytest.fixture(scope="module")
def client(tagged_catalogue: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("root-path") / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    with TestClient(create_app(ServiceConfig(db=db, root_path=ROOT)), raise_server_exceptions=False) as c:
        yield c


def test_root_paths_are_read_as_an_operator_writes_them() -> None:
    assert parse_root_path("/fagmatch") == parse_root_path("fagmatch/") == parse_root_path(" /fagmatch/ ") == "/fagmatch"
    assert parse_root_path("/apps/fagmatch") == "/apps/fagmatch"
    assert parse_root_path("") == parse_root_path("/") == ""
    for bad, problem in (("/fag match", "no root path"), ("/../etc", "no root path"), ("/a//b", "no root path"),
                         ("/fagmatch?x=1", "no root path"), ("/api", "one of the service's own paths"),
                         ("/team/fagmatch", "one of the service's own paths")):
        with pytest.raises(ValueError, match=problem):
            parse_root_path(bad)


def test_the_service_s_own_paths_are_the_ones_a_root_path_may_not_begin_with(client: TestClient) -> None:
    from fastapi.routing import iter_route_contexts

    from service.root_path import OWN_SEGMENTS

    routes = iter_route_contexts(client.app.routes)  # through included routers
    first = {route.path.split("/")[1] for route in routes} - {""}  # a route added later must be named there
    assert first == OWN_SEGMENTS


def test_serve_refuses_a_root_path_it_could_not_serve_under(run_cli) -> None:
    result = run_cli("serve", "--root-path", "/api")
    assert result.exit_code == 2 and "'/api' begins with /api, one of the service's own paths" in result.stderr
    implied = run_cli("serve", "--base-url", "https://intranet.example/team")  # the root path --base-url implies
    assert implied.exit_code == 2 and "--base-url" in implied.stderr and "the service is served under its path" in implied.stderr


@pytest.mark.parametrize("prefix", [ROOT, ""], ids=["proxy passes the prefix on", "proxy strips the prefix"])
def test_every_address_on_the_web_pages_stays_under_the_root_path(client: TestClient, prefix: str) -> None:
    course = client.get(f"{prefix}/api/courses", params={"q": "sygedagpenge"}).json()["items"][0]["course"]["id"]
    pages = ["/", "/?q=sygedagpenge&per_page=2", "/?q=sygedagpenge&side=99", f"/kursus/{course}", "/team", "/udbydere",
             "/team/gab?tekst=grundlæggende+viden+om+sygedagpengeloven", "/findes-ikke"]
    for page in pages:
        response = client.get(prefix + page)
        assert response.status_code in (200, 404), page
        addresses = [a for a in ADDRESS.findall(response.text) if not a.startswith(("#", "http"))]
        assert addresses, page
        outside = [a for a in addresses if not a.startswith(ROOT + "/")]
        assert not outside, (page, outside)
        for address in {a.split("?")[0] for a in addresses if "/static/" in a or "/kursus/" in a}:
            assert client.get(address).status_code == 200, address  # and each one answers
    assert client.get(f"{prefix}/team/skabelon/target-profile").status_code == 200


@pytest.mark.parametrize("prefix", [ROOT, ""], ids=["proxy passes the prefix on", "proxy strips the prefix"])
def test_redirects_headers_and_errors_hold_under_the_root_path(client: TestClient, prefix: str) -> None:
    slash = client.get(f"{prefix}/team/", follow_redirects=False)
    assert slash.status_code in (307, 308) and slash.headers["location"].endswith(f"{ROOT}/team")
    team = client.get(f"{prefix}/team")
    assert team.headers["cache-control"] == "no-store" and "content-security-policy" in team.headers
    gaps = client.post(f"{prefix}/api/gaps", json={})  # the API's errors stay JSON in the one shape
    assert gaps.status_code == 422 and gaps.headers["cache-control"] == "no-store" and set(gaps.json()) == {"error"}
    missing = client.get(f"{prefix}/api/courses/findes-ikke")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"
    feed_error = client.get(f"{prefix}/feed/courses.json", params={"sinc": "x"})
    assert feed_error.status_code == 422 and feed_error.headers["access-control-allow-origin"] == "*"
    assert client.get(f"{prefix}/healthz").status_code == 200


@pytest.mark.parametrize("prefix", [ROOT, ""], ids=["proxy passes the prefix on", "proxy strips the prefix"])
def test_the_api_docs_load_their_assets_and_spec_under_the_root_path(client: TestClient, prefix: str) -> None:
    for page in ("/docs", "/redoc"):
        response = client.get(prefix + page)
        assert response.status_code == 200 and "content-security-policy" not in response.headers  # inline scripts
        assets = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", response.text)
        assert f"{ROOT}/openapi.json" in assets
        for asset in assets:
            assert asset.startswith(ROOT + "/"), asset
            assert client.get(asset).status_code == 200, asset
    assert client.get(f"{prefix}/openapi.json").json()["servers"] == [{"url": ROOT}]  # "Try it out" calls /fagmatch/api
    assert f"'{ROOT}/docs/oauth2-redirect'" in client.get(f"{prefix}/docs").text


def test_the_feeds_link_under_the_root_path(client: TestClient, tagged_catalogue: Path, tmp_path: Path) -> None:
    page = client.get("/feed/courses.json", params={"per_page": 2}).json()
    assert page["self"] == f"{ROOT}/feed/courses.json?page=1&per_page=2" and page["next"].startswith(f"{ROOT}/feed/courses.json?after=")
    assert client.get(page["next"]).json()["page"] == 2
    atom = client.get("/feed/atom.xml", params={"limit": 1}).text
    assert f'rel="self" type="application/atom+xml" href="{ROOT}/feed/atom.xml?limit=1"' in atom
    assert "<id>urn:fagmatch:feed:courses</id>" in atom and "<id>urn:fagmatch:course:" in atom  # ids stay absolute
    # a public address, where given, is the base of every link
    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    config = ServiceConfig(db=db, root_path=ROOT, base_url="https://intranet.example/fagmatch")
    with TestClient(create_app(config, warm=False)) as public:
        linked = public.get(f"{ROOT}/feed/courses.json", params={"per_page": 2}).json()
        assert linked["self"] == "https://intranet.example/fagmatch/feed/courses.json?page=1&per_page=2"
        assert "<id>https://intranet.example/fagmatch/kursus/" in public.get("/feed/atom.xml", params={"limit": 1}).text
