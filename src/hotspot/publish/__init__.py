"""Publishing: offline tasking maps, printable briefings, walking routes, exports and redaction.

Modules are imported on demand (``from hotspot.publish import maps``) so the CLI stays fast.
"""

__all__ = ["assets", "briefing", "export", "maps", "redact", "routes"]
