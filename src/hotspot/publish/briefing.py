"""The printable tasking briefing: one self-contained HTML page (optionally PDF).

Sections: headline figures with change on the last cycle, top hotspots, day-of-week x hour
heatmap, trend chart with COVID-19 restriction periods shaded, next week's forecast, emerging hot
spot summary, area profile by IMD decile, method and caveats. Charts are Matplotlib (Agg) PNGs
embedded as base64; the handling label is printed in the header and footer of every page. Every
value is escaped with :func:`hotspot.publish.assets.esc`.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError, InputError
from hotspot.io import atomic_path, write_text
from hotspot.paths import data_dir
from hotspot.publish.assets import esc
from hotspot.schema import HANDLING_FULL, HANDLING_PUBLIC

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

#: Night-time-economy states in the restrictions timeline, and their shading (None = not shaded).
RESTRICTION_SHADES = {"closed": "#8c8c8c", "advised_against": "#d9d9d9", "curfew_22": "#bdbdbd",
                      "curfew_23": "#d0d0d0", "outdoor_only": "#bdbdbd", "open_restricted": "#e6e6e6",
                      "open": None}

_CSS = """
body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;margin:0 1.5em;color:#111}
h1{font-size:18pt;margin:.3em 0}h2{font-size:13pt;border-bottom:2px solid #333;margin-top:1.2em}
table{border-collapse:collapse;margin:.4em 0;max-width:100%}td{overflow-wrap:anywhere}td,th{border:1px solid #999;padding:2px 6px;font-size:10pt}
th{background:#eee;text-align:left}td.num{text-align:right}
.handling{text-align:center;font-weight:bold;color:#a00;letter-spacing:.05em;margin:.3em 0}
.headline{display:flex;flex-wrap:wrap;gap:.8em}.fig{border:1px solid #999;padding:.4em .8em;min-width:9em}
.fig .v{font-size:18pt;font-weight:bold}.up{color:#a00}.down{color:#070}
img{max-width:100%}.caveat{font-size:9.5pt}
@media print{@page{size:A4;margin:14mm 12mm}h2{break-after:avoid}table,img,.fig{break-inside:avoid}
 .handling.top{position:fixed;top:0;left:0;right:0}.handling.bottom{position:fixed;bottom:0;left:0;right:0}
 body{margin:8mm 0}}
"""


# ---- charts ------------------------------------------------------------------------------------

def _png(fig) -> str:

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _plt():

    matplotlib.use("Agg", force=False)

    return plt


def day_hour_table(offences: pd.DataFrame, column: str = "occurred_at") -> pd.DataFrame:
    """7 x 24 counts (rows Mon..Sun, columns 0..23) from exact timestamps (month-only rows ignored)."""
    t = pd.to_datetime(offences[column], errors="coerce").dropna()
    tab = pd.crosstab(t.dt.dayofweek, t.dt.hour).reindex(index=range(7), columns=range(24), fill_value=0)
    tab.index = DAYS
    return tab


def heatmap_png(table: pd.DataFrame, *, title: str = "Offences by day and hour") -> str:
    """Day-of-week x hour heatmap as a base64 PNG data URI."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 2.8))
    im = ax.imshow(table.to_numpy(float), aspect="auto", cmap="YlOrRd")
    ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour of day")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="offences")
    return _png(fig)


def read_restrictions(path: str | Path | None = None) -> pd.DataFrame:
    """Restriction periods: ``start, end, state, event`` from the England restrictions timeline.

    Each row of the timeline starts a period that lasts until the next row; the last period
    ends at its own date (the return to ``open``).
    """
    if path is None:

        path = Path(data_dir()) / "reference" / "restrictions_timeline_england.csv"
    path = Path(path)
    if not path.exists():
        raise InputError("restrictions timeline not found; pass restrictions=None to skip shading", path=path)
    t = pd.read_csv(path, parse_dates=["date"]).sort_values("date").reset_index(drop=True)
    if not {"date", "night_time_economy"} <= set(t.columns):
        raise InputError("needs columns date, night_time_economy", path=path)
    ends = list(t["date"].iloc[1:]) + [t["date"].iloc[-1]]
    return pd.DataFrame({"start": t["date"], "end": ends, "state": t["night_time_economy"],
                         "event": t.get("event", "")})


def trend_png(series: pd.Series, *, restrictions: pd.DataFrame | None = None,
              title: str = "Offences per month") -> str:
    """Line chart of a time series with restriction periods shaded (darker = stricter)."""
    plt = _plt()
    s = series.copy()
    s.index = pd.to_datetime(s.index.astype(str))
    fig, ax = plt.subplots(figsize=(9, 3))
    if restrictions is not None and len(s):
        seen = set()
        for r in restrictions.itertuples():
            colour = RESTRICTION_SHADES.get(str(r.state), "#e6e6e6")
            if colour is None or r.end <= s.index.min() or r.start >= s.index.max() or r.end <= r.start:
                continue
            label = str(r.state).replace("_", " ") if r.state not in seen else None
            seen.add(r.state)
            ax.axvspan(r.start, r.end, color=colour, alpha=0.6, lw=0, label=label)
    # markers too, so that a month between two gaps (NaN: not published) still shows
    ax.plot(s.index, s.to_numpy(float), color="#b2182b", lw=1.8, marker="o", ms=3, label="offences")
    ax.set_title(title)
    ax.set_ylabel("offences")
    ax.grid(alpha=.3)
    ax.legend(fontsize=7, ncol=4, loc="upper left", title="night-time economy", title_fontsize=7)
    return _png(fig)


def imd_png(profile: pd.DataFrame, value: str) -> str:
    """Bar chart of ``value`` by IMD decile."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 2.6))
    deciles = pd.to_numeric(profile["imd_decile"].astype(str).str.extract(r"(\d+)")[0])  # 3 or "decile 3"
    ax.bar(deciles.astype(int), pd.to_numeric(profile[value], errors="coerce").astype(float), color="#ef8a62")
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("IMD decile (1 = most deprived)")
    ax.set_ylabel(value.replace("_", " "))
    return _png(fig)


# ---- HTML pieces -------------------------------------------------------------------------------

def _whole_harm(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """Harm weights are days of custody: whole numbers read best."""
    if df is None or "harm" not in df.columns:
        return df
    return df.assign(harm=pd.to_numeric(df["harm"], errors="coerce").round(0).astype("Int64"))


def _table(df: pd.DataFrame, *, count_columns: Sequence[str] = ("count", "count_last"), floatfmt: str = "{:,.2f}") -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, rec):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                txt = ""
                if f"{col}_text" in df.columns:
                    txt = getattr(rec, f"{col}_text", "")
                cells.append(f"<td class='num'>{esc(txt)}</td>")
            elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                attr = f" data-count='{int(v)}'" if col in count_columns else ""
                s = f"{int(v):,}" if float(v).is_integer() else floatfmt.format(v)
                cells.append(f"<td class='num'{attr}>{esc(s)}</td>")
            else:
                cells.append(f"<td>{esc(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _number(v) -> float | None:
    """A headline figure as a number, or None when it is withheld ("<5", None, NaN) or not a number."""
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def _headline(figures: Mapping[str, tuple]) -> str:
    out = []
    for name, vals in figures.items():
        this, last = (tuple(vals) + (None,))[:2]
        t, la = _number(this), _number(last)
        change = ""
        if t is not None and la not in (None, 0.0):  # no change is shown beside a withheld figure
            pct = (t - la) / la * 100
            cls = "up" if pct > 0 else "down" if pct < 0 else ""
            change = f"<div class='{cls}'>{pct:+.0f}% on last cycle ({esc(f'{la:,.0f}')})</div>"
        if t is not None:
            v = esc(f"{t:,.0f}")
        else:
            v = esc(this) if isinstance(this, str) and this else "&lt;5"
        out.append(f"<div class='fig'><div>{esc(name)}</div><div class='v'>{v}</div>{change}</div>")
    return "<div class='headline'>" + "".join(out) + "</div>"


def _day_hour_data(table: pd.DataFrame) -> pd.DataFrame:
    """The day x hour table as records (day as text, one column per hour)."""
    t = pd.DataFrame(table).copy()
    t.columns = [str(c) for c in t.columns]
    return t.rename_axis("day").reset_index().astype({"day": str})


def _img(uri: str, alt: str, data=None) -> str:
    """An embedded chart, followed by the table it plots (so what it shows can be checked)."""
    tag = f"<img src='{uri}' alt='{esc(alt)}'>"
    if data is None:
        return tag
    if isinstance(data, pd.Series):
        data = pd.DataFrame({"period": [str(i)[:10] for i in data.index], "value": data.to_numpy(float)})
    recs = json.loads(pd.DataFrame(data).to_json(orient="records"))
    blob = json.dumps(recs).replace("<", "\\u003c")
    return tag + f"<script type='application/json' class='chart-data'>{blob}</script>"


DEFAULT_METHOD = (
    "Hot spots: Getis-Ord Gi* on a regular grid with false-discovery-rate adjusted p-values "
    "(Getis and Ord 1992; Benjamini and Hochberg 1995); density: quartic kernel density estimate; "
    "emerging hot spots: Mann-Kendall trend of Gi* z-scores over the space-time cube; forecast: "
    "models trained on previous weeks with rolling-origin back-testing."
)
DEFAULT_CAVEATS = (
    "Recorded crime reflects reporting and recording practice as well as offending.",
    "police.uk locations are snapped to anonymised map points; month-only dates cannot show hours.",
    "Forecast intervals (10%-90%) describe model uncertainty, not a guarantee.",
    "Small counts are unstable: treat changes in areas with few offences with caution.",
)


def render_briefing(*, title: str = "Serious violence tasking briefing", period: str = "",
                    handling: str = HANDLING_FULL, headline: Mapping[str, tuple] | None = None,
                    top: pd.DataFrame | None = None, day_hour: pd.DataFrame | None = None,
                    trend: pd.Series | None = None, restrictions: pd.DataFrame | str | Path | None = "default",
                    forecast: pd.DataFrame | None = None, emerging: pd.DataFrame | None = None,
                    imd_profile: pd.DataFrame | None = None, method: str = DEFAULT_METHOD,
                    caveats: Sequence[str] = DEFAULT_CAVEATS, generated: dt.datetime | None = None,
                    forecast_title: str = "Next week: forecast", notes: Sequence[str] = (),
                    threshold: int = 5, top_harm: pd.DataFrame | None = None, harm_note: str = "") -> str:
    """The briefing as one HTML string. See :func:`write_briefing` for the parameters.

    A public (``OFFICIAL``) briefing withholds chart values from 1 to ``threshold - 1`` (the day x
    hour heatmap and the monthly trend), whatever the caller passed.
    """
    if handling == HANDLING_PUBLIC:
        if isinstance(day_hour, pd.DataFrame):
            day_hour = day_hour.mask((day_hour > 0) & (day_hour < threshold))
        if trend is not None:
            trend = trend.astype(float).mask((trend > 0) & (trend < threshold))
    generated = generated or dt.datetime.now().replace(microsecond=0)
    h = esc(handling)
    parts = [f"<div class='handling top'>{h}</div>", f"<h1>{esc(title)}</h1>",
             f"<p>{esc(period)} &middot; generated {esc(generated.isoformat(sep=' '))}</p>"]
    if notes:
        parts += ["<h2>Data quality</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>"]
    if headline:
        parts += ["<h2>Headline figures</h2>", _headline(headline)]
    top, top_harm = _whole_harm(top), _whole_harm(top_harm)
    if top is not None and len(top):
        cols = [c for c in ("rank", "name", "count", "harm", "count_last", "trend", "change", "expected_per_week",
                            "peak_window", "main_types", "imd_decile") if c in top.columns]
        if handling == HANDLING_PUBLIC and "rank" in top.columns and len(top) < 10:
            # 1..n in a short table cannot be told from small counts by an independent check
            top = top.assign(rank=top["rank"].map(lambda r: "" if pd.isna(r) else f"#{int(r)}"))
        suppressed = any(f"{c}_text" in top.columns for c in ("count", "count_last"))
        tab = _table_with_text(top, cols) if suppressed else _table(top[cols])
        parts += ["<h2>Top hotspots by count</h2>" if harm_note or top_harm is not None else "<h2>Top hotspots</h2>", tab]
    if handling != HANDLING_PUBLIC and top_harm is not None and len(top_harm):
        cols = [c for c in ("rank", "name", "harm", "count", "count_last", "change", "expected_per_week",
                            "main_types", "imd_decile") if c in top_harm.columns]
        parts += ["<h2>Top hotspots by harm</h2>", _table(top_harm[cols], count_columns=("count", "count_last"))]
    if handling != HANDLING_PUBLIC and harm_note:
        parts += [f"<p class='caveat'>{esc(harm_note)}</p>"]
    if isinstance(day_hour, str):  # e.g. month-only data: say why there is no table
        parts += ["<h2>When: day of week and hour</h2>", f"<p>{esc(day_hour)}</p>"]
    elif day_hour is not None:
        parts += ["<h2>When: day of week and hour</h2>", _img(heatmap_png(day_hour), "day by hour heatmap",
                                                               _day_hour_data(day_hour))]
    if trend is not None and len(trend):
        if isinstance(restrictions, str) and restrictions == "default":
            try:
                restrictions = read_restrictions()
            except InputError:
                restrictions = None
        elif restrictions is not None and not isinstance(restrictions, pd.DataFrame):
            restrictions = read_restrictions(restrictions)
        parts += ["<h2>Trend</h2>", _img(trend_png(trend, restrictions=restrictions), "monthly trend", trend),
                  "<p class='caveat'>Shaded: COVID-19 restrictions on the night-time economy in England "
                  "(darker = stricter).</p>" if restrictions is not None else ""]
    if forecast is not None and len(forecast):
        cols = [c for c in ("name", "expected", "q10", "q90") if c in forecast.columns]
        f = pd.DataFrame(forecast)[cols].sort_values("expected", ascending=False).head(15)
        parts += [f"<h2>{esc(forecast_title)}</h2>", _table(f, count_columns=())]
    if emerging is not None and len(emerging):
        counts = pd.Series(emerging["category"]).astype(str).value_counts()
        counts = counts[counts.index != "no pattern detected"]
        cells = counts.rename_axis("category").reset_index(name="cells")
        if handling == HANDLING_PUBLIC:  # small numbers are withheld in public pages, whatever they count
            cells["cells"] = cells["cells"].astype(object).where(cells["cells"] >= threshold, f"<{threshold}")
        parts += ["<h2>Emerging hot spots</h2>", _table(cells, count_columns=())]
    if imd_profile is not None and len(imd_profile):
        val = next((c for c in ("rate_per_1000", "sv_rate", "rate", "offences", "count")
                    if c in imd_profile.columns), None)
        parts += ["<h2>Area profile by deprivation (IMD decile)</h2>", _table(imd_profile, count_columns=("count", "offences"))]
        if val is not None and "imd_decile" in imd_profile.columns:
            parts.append(_img(imd_png(imd_profile, val), "profile by IMD decile",
                              imd_profile[["imd_decile", val]].astype({"imd_decile": str})))
    parts += ["<h2>Method</h2>", f"<p>{esc(method)}</p>", "<h2>Caveats</h2><ul class='caveat'>"
              + "".join(f"<li>{esc(c)}</li>" for c in caveats) + "</ul>",
              f"<div class='handling bottom'>{h}</div>"]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>")


def _table_with_text(df: pd.DataFrame, cols: Sequence[str]) -> str:
    """Table of ``cols`` where suppressed counts show their ``*_text`` label."""
    show = df[cols].copy().astype(object)
    for c in ("count", "count_last"):
        if c in show.columns and f"{c}_text" in df.columns:
            show[c] = [t if pd.isna(v) else v for v, t in zip(df[c], df[f"{c}_text"])]
    return _table(show)


def chromium_path() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout: float = 120) -> Path | None:
    """Print an HTML file to PDF with headless Chromium; None (and nothing written) if absent."""
    exe = chromium_path()
    if exe is None:
        return None

    with tempfile.TemporaryDirectory() as prof, atomic_path(pdf_path) as tmp:
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
                        f"--user-data-dir={prof}", "--no-pdf-header-footer", f"--print-to-pdf={tmp}",
                        Path(html_path).resolve().as_uri()], capture_output=True, timeout=timeout, check=False)
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise InputError("Chromium did not write the PDF; open the HTML and print it instead",
                             path=pdf_path)
    return Path(pdf_path)


def write_briefing(path: str | Path, *, pdf: bool = False, **context) -> dict:
    """Write the printable briefing (HTML, and PDF when asked and Chromium is available).

    Parameters
    ----------
    path : str or Path
        HTML file to write (atomic).
    pdf : bool
        Also write ``path`` with ``.pdf``; skipped with a note if Chromium is not installed.
    **context
        ``title, period, handling, headline`` (dict name -> (this cycle, last cycle)),
        ``top`` (DataFrame: rank, name, count, count_last, trend, peak_window, main_types,
        imd_decile), ``day_hour`` (7 x 24 DataFrame, see :func:`day_hour_table`), ``trend``
        (Series indexed by month), ``restrictions`` ("default", a CSV path, a DataFrame from
        :func:`read_restrictions`, or None), ``forecast`` (name, expected, q10, q90),
        ``emerging`` (with ``category``), ``imd_profile`` (imd_decile plus counts/rates),
        ``method``, ``caveats``, ``top_harm`` (the places ranked by harm, with ``harm`` and
        ``count``; never in a public briefing) and ``harm_note`` (which index, or why harm is not
        available).

    Returns
    -------
    dict
        ``html`` path, ``pdf`` path or None, and ``note``.
    """

    unknown = set(context) - {"title", "period", "handling", "headline", "top", "day_hour", "trend",
                              "restrictions", "forecast", "emerging", "imd_profile", "method", "caveats",
                              "generated", "forecast_title", "notes", "threshold", "top_harm", "harm_note"}
    if unknown:
        raise ArgumentError(sorted(unknown)[0], "an unknown briefing field", "one of the documented context names")
    path = Path(path)
    write_text(path, render_briefing(**context))
    out = {"html": path, "pdf": None, "note": ""}
    if pdf:
        pdf_path = path.with_suffix(".pdf")
        res = html_to_pdf(path, pdf_path)
        if res is None:
            out["note"] = "PDF skipped: Chromium is not installed (print the HTML from a browser instead)"
        else:
            out["pdf"] = res
    return out
