"""Helpers building real-shaped police.uk and extract rows for the ingest tests."""

from __future__ import annotations

import csv
import io

from hotspot.schema import POLICEUK_COLUMNS

FORCE = "Avon and Somerset Constabulary"


def policeuk_row(crime_id="a1b2c3", month="2021-03", lon="-2.594", lat="51.455",
                 location="On or near Park Street", crime_type="Robbery"):
    """One police.uk street-level row, values as published."""
    return [crime_id, month, FORCE, FORCE, lon, lat, location, "E01014540", "Bristol 032B", crime_type,
            "Under investigation" if crime_type != "Anti-social behaviour" else "", ""]


def policeuk_text(rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(POLICEUK_COLUMNS)
    w.writerows(rows)
    return buf.getvalue()


EXTRACT_HEADER = ["id", "occurred_at", "easting", "northing", "postcode", "crime_type", "offence_subtype",
                  "knife_flag", "domestic_flag", "location"]


def extract_row(id="OFF000001", occurred_at="2021-03-05T22:15:00", easting="358650", northing="172950",
                postcode="", crime_type="Violence and sexual offences",
                offence_subtype="Assault with injury", knife_flag="0", domestic_flag="0",
                location="Park Street"):
    return [id, occurred_at, easting, northing, postcode, crime_type, offence_subtype, knife_flag,
            domestic_flag, location]


def table_text(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()
