"""Subscription feeds of an output folder over HTTP (`promo-scheduler serve`, FORMAT.md section 7).

- `snapshot.py`: the latest version's feeds, read whole (never a half-installed folder);
- `tokens.py`: each feed's unguessable token, kept in history.sqlite, and the links;
- `app.py`: the WSGI application (ETag, Last-Modified, 304, 404 for anything else);
- `server.py`: the production server (waitress), stopped cleanly by Ctrl-C or SIGTERM.
"""
