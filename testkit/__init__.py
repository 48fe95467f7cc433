"""Pieces shared by tests/ and bench/ (a fixture site, LLM doubles for search, the observer's reference).
Not installed; the library never imports it."""
