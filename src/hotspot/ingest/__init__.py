"""ingest stage: read, validate and classify offence records.

Entry point :func:`read_offences` (police.uk street-level CSVs/folders/zips, timestamped extracts in
CSV, CSV.gz or GeoPackage, canonical CSVs) returns an :class:`IngestResult`. See
:mod:`hotspot.ingest.validate` for the quarantine rules and :mod:`hotspot.ingest.classify` for
serious violence; :func:`hotspot.ingest.audit.audit_offences` is the data-quality audit (months,
times, No Location, outside the force, duplicates, police.uk LSOA agreement, reconciliation).
"""

from hotspot.ingest.audit import apply_time_audit, audit_offences, audit_tables
from hotspot.ingest.canonical import read_canonical, write_canonical
from hotspot.ingest.classify import DEFAULT_RULES, classify, load_rules
from hotspot.ingest.extract import load_mapping
from hotspot.ingest.validate import IngestResult, read_offences

__all__ = ["IngestResult", "read_offences", "read_canonical", "write_canonical", "classify",
           "load_rules", "load_mapping", "DEFAULT_RULES", "audit_offences", "audit_tables", "apply_time_audit"]
