"""Shared names and constants: the contract between pipeline stages.

The offences table
------------------
Every reader returns, and every later stage consumes, one row per offence with these columns
(a :class:`geopandas.GeoDataFrame` in EPSG:27700 after geocoding):

=====================  =========================================================================
column                 meaning
=====================  =========================================================================
offence_id             str, unique within an extract (police.uk ``Crime ID`` or a generated one)
occurred_at            datetime64[ns], local (Europe/London) wall-clock time; NaT when month-only
month                  str ``YYYY-MM``; always present
time_precision         ``"exact"`` (timestamped extract) or ``"month"`` (police.uk)
crime_type             police.uk crime type (see :data:`POLICEUK_CRIME_TYPES`)
offence_subtype        finer offence description where known, else ``""``
offence_code           Home Office offence classification code (``"8N"``, ``"34B"``, ``"105A"``) where
                       known (timestamped extracts), else ``""`` (police.uk publishes none)
knife                  bool, knife or sharp instrument involved
domestic               bool, domestic-related
serious_violence       bool, from :mod:`hotspot.ingest.classify`
sv_category            one of :data:`SV_CATEGORIES` or ``""`` when not serious violence
easting, northing      float metres, EPSG:27700
location               str, free text (police.uk ``Location``); user-visible: escape before HTML
source_file            str, file the row came from
source_line            int, 1-based line number in that file (header = 1)
lsoa_code, beat_code,
la_code                str, from :mod:`hotspot.geography.geocode`
geocode_method         ``"within"``, ``"nearest"`` or ``"postcode"``
geometry               Point, EPSG:27700
=====================  =========================================================================
"""

from __future__ import annotations

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

OFFENCE_COLUMNS = [
    "offence_id", "occurred_at", "month", "time_precision", "crime_type", "offence_subtype",
    "offence_code", "knife", "domestic", "serious_violence", "sv_category", "easting", "northing", "location",
    "source_file", "source_line",
]
GEOCODE_COLUMNS = ["lsoa_code", "beat_code", "la_code", "geocode_method"]

#: Columns of a police.uk street-level crime CSV, exactly as published, in order.
POLICEUK_COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]

#: Crime types used on police.uk street-level data (since May 2013).
POLICEUK_CRIME_TYPES = [
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other crime", "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting",
    "Theft from the person", "Vehicle crime", "Violence and sexual offences",
]

#: Serious-violence categories (VRU definition: VAP with injury or knife, robbery, serious sexual);
#: ``violence_and_sexual_offences`` is the police.uk crime type itself, analysed (with robbery) by
#: default for police.uk rows, which cannot be split further (see docs/serious_violence.md).
SV_CATEGORIES = ["homicide", "vap_injury", "vap_knife", "robbery", "sexual", "domestic_serious",
                 "violence_and_sexual_offences"]

#: Quarantine reasons, stable identifiers used in reports and tests.
QUARANTINE_REASONS = {
    "missing_coordinates": "no coordinates and no usable postcode",
    "unparseable_coordinates": "coordinates could not be read as numbers",
    "swapped_coordinates": "latitude and longitude appear swapped",
    "invalid_coordinates": "coordinates out of range for the coordinate system",
    "outside_study_area": "location is outside the study area (beyond the geocoding tolerance)",
    "missing_date": "no date/time",
    "unparseable_date": "date/time could not be parsed",
    "future_date": "date is in the future",
    "inverted_time_range": "'to' time is before 'from' time",
    "duplicate_id": "offence id already seen in this run",
    "missing_id": "no offence id",
    "unknown_offence_type": "offence type not recognised",
    "unknown_postcode": "postcode not found in the postcode lookup",
    "implausible_date": "date outside the plausible window (default 2000-01-01 to tomorrow)",
    "unknown_flag": "knife/domestic flag value is neither yes nor no",
    "nul_byte": "the row holds a NUL byte (damaged file); the value was not truncated",
}

#: Emerging hot spot categories (ArcGIS Pro), hot then cold, then none.
EMERGING_CATEGORIES = [
    "new hot spot", "consecutive hot spot", "intensifying hot spot", "persistent hot spot",
    "diminishing hot spot", "sporadic hot spot", "oscillating hot spot", "historical hot spot",
    "new cold spot", "consecutive cold spot", "intensifying cold spot", "persistent cold spot",
    "diminishing cold spot", "sporadic cold spot", "oscillating cold spot", "historical cold spot",
    "no pattern detected",
]

#: Gi* confidence classes: integer code -> label (ArcGIS Gi_Bin convention).
GI_CLASSES = {
    3: "hot spot 99%", 2: "hot spot 95%", 1: "hot spot 90%", 0: "not significant",
    -1: "cold spot 90%", -2: "cold spot 95%", -3: "cold spot 99%",
}

HANDLING_FULL = "OFFICIAL-SENSITIVE"
HANDLING_PUBLIC = "OFFICIAL"
