"""What gunicorn and the `flask` command load: `.env`, logging, then the app.

This is the only module with process-wide side effects. Without APP_ENV the app
runs as production, so a forgotten setting stops it instead of weakening it.
"""

from dotenv import load_dotenv

from app import create_app
from app.logs import configure_logging
from config import ConfigError

load_dotenv()
try:
    app = create_app()
except ConfigError as error:
    raise SystemExit(f"error: {error}") from None
configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
