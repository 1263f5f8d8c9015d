"""The Textual screens: the patron kiosk (patron.py), its widgets, themes and .tcss styles."""
