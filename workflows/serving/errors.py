"""The serving errors the CLI catches, importable without MLflow (a quick refusal
should not wait for MLflow's import)."""

from __future__ import annotations


class HostingError(RuntimeError):
    """A version could not be loaded or failed its smoke check, or the port is taken;
    the message says which."""
