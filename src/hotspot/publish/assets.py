"""Offline assets and HTML safety for published outputs.

Folium's page template loads Leaflet, jQuery, Bootstrap, Font Awesome and plugins from CDNs.
Forces' tasking rooms and patrol tablets are often offline, so :func:`inline_assets` replaces every
``<script src>`` and ``<link href>`` that points at a known CDN file with the vendored copy in
``publish/assets/`` (CSS ``url(...)`` images become ``data:`` URIs), drops what the maps do not use
(Bootstrap, Font Awesome, awesome-markers) and refuses to publish a page with any other external
reference. :func:`esc` is the one escaping function for text that reaches HTML or a JS template.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from functools import cache
from importlib import resources
from pathlib import Path

from hotspot.errors import InputError

#: CDN file (regular expression on the URL) -> vendored file, or None to drop the reference.
CDN_MAP: list[tuple[str, str | None]] = [
    (r"/leaflet@[\d.]+/dist/leaflet\.js$", "leaflet.js"),
    (r"/leaflet@[\d.]+/dist/leaflet\.css$", "leaflet.css"),
    (r"jquery-3\.[\d.]+(\.min)?\.js$", "jquery.min.js"),
    (r"/leaflet\.fullscreen@[\d.]+/Control\.FullScreen(\.min)?\.js$", "Control.FullScreen.js"),
    (r"/leaflet\.fullscreen@[\d.]+/Control\.FullScreen\.css$", "Control.FullScreen.css"),
    (r"/leaflet-search@[\d.]+/dist/leaflet-search(\.min)?\.js$", "leaflet-search.min.js"),
    (r"/leaflet-search@[\d.]+/dist/leaflet-search(\.min)?\.css$", "leaflet-search.min.css"),
    (r"bootstrap", None),
    (r"awesome", None),
    (r"fontawesome", None),
]

_SCRIPT_RE = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)[\"'][^>]*>\s*</script>", re.I)
_LINK_RE = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']([^\"']+)[\"'][^>]*/?>", re.I)
_URL_RE = re.compile(r"url\(\s*['\"]?(?!data:|#)([^'\")]+)['\"]?\s*\)")


def assets_dir() -> Path:
    """Folder of the vendored files."""
    return Path(str(resources.files("hotspot.publish") / "assets"))


@cache
def asset_text(name: str) -> str:
    """A vendored text file; CSS ``url()`` references become ``data:`` URIs."""
    path = assets_dir() / name
    if not path.exists():
        raise InputError("vendored asset missing; reinstall hotspot", path=path)
    text = path.read_text(encoding="utf-8")
    if name.endswith(".css"):
        text = _URL_RE.sub(lambda m: f"url({data_uri(m.group(1))})", text)
    return text


def data_uri(ref: str) -> str:
    """``data:`` URI of a vendored image referenced from CSS (looked up by file name)."""
    path = assets_dir() / "images" / Path(ref).name
    if not path.exists():
        return "data:,"  # an image the maps never show (e.g. old IE VML); keep CSS valid offline
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _lookup(url: str) -> str | None | bool:
    for pattern, name in CDN_MAP:
        if re.search(pattern, url, re.I):
            return name
    return False


def _safe_inline(text: str, tag: str) -> str:
    # a literal closing tag inside inlined code would end the element early
    return re.sub(rf"</({tag})", r"<\\/\1", text, flags=re.I)


def inline_assets(page: str) -> str:
    """Replace CDN ``<script src>``/``<link href>`` by inline copies of the vendored files.

    Raises
    ------
    InputError
        When the page references an external file that is not vendored (it would not load offline).
    """
    unknown: list[str] = []

    def script(m: re.Match) -> str:
        url = m.group(1)
        name = _lookup(url)
        if name is False:
            unknown.append(url)
            return m.group(0)
        if name is None:
            return ""
        return f"<script>/* {name} (vendored) */\n{_safe_inline(asset_text(name), 'script')}\n</script>"

    def link(m: re.Match) -> str:
        url = m.group(1)
        if not re.match(r"(https?:)?//", url):
            return m.group(0)
        name = _lookup(url)
        if name is False:
            unknown.append(url)
            return m.group(0)
        if name is None:
            return ""
        return f"<style>/* {name} (vendored) */\n{_safe_inline(asset_text(name), 'style')}\n</style>"

    page = _SCRIPT_RE.sub(script, page)
    page = _LINK_RE.sub(link, page)
    if unknown:
        raise InputError(f"the page references files that are not vendored: {unknown}; add them to "
                         "hotspot/publish/assets and CDN_MAP, or remove the plugin")
    return page


def external_refs(page: str) -> list[str]:
    """URLs of ``<script src>``, ``<link href>`` and ``<img src>`` pointing off the page."""
    refs = [m.group(1) for m in _SCRIPT_RE.finditer(page)] + [m.group(1) for m in _LINK_RE.finditer(page)]
    refs += re.findall(r"<img\b[^>]*\bsrc\s*=\s*[\"']((?:https?:)?//[^\"']+)", page, re.I)
    return [r for r in refs if re.match(r"(https?:)?//", r)]


def esc(value: object) -> str:
    """Escape text for HTML *and* for folium's JavaScript template literals.

    ``html.escape`` plus backslash, backtick, ``$`` and braces as character references, so a
    police.uk ``Location`` such as ``<img src=x onerror=alert(1)>``, ``${alert(1)}`` or a Jinja
    ``{{ ... }}`` shows as text.
    """
    s = html.escape("" if value is None else str(value), quote=True)
    return (s.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")
            .replace("{", "&#123;").replace("}", "&#125;"))
