"""``govreport serve``: the extraction service (FastAPI + uvicorn) and its review page. It sits on top, beside
the CLI: it drives the batch machinery of ``inference`` per request, and nothing below imports it."""
