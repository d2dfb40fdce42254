"""Configuration: every setting once (`settings`), read per app (`loader`), checked (`checks`)."""

from config.checks import ConfigError
from config.loader import load_config

__all__ = ["ConfigError", "load_config"]
