"""Browser tests: the real site in Debian's Chromium, on a phone and on a desktop."""
