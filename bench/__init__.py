"""Benchmarks of the site against a naive gspread app, on the Sheets API emulator."""
