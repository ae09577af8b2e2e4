"""One module per framework; each writes one log per request and opens a request context."""
