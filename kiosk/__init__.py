"""An accessible queue-ticketing kiosk: patron kiosk, staff console, lobby board and
serve-time reports, all on one SQLite file."""

__version__ = "0.1.0"
