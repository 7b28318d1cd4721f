"""Placeholder until the browser app lands (issue 4)."""
