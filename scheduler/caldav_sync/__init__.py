"""`promo-scheduler sync DIR --caldav URL` (FORMAT.md section 7): the latest version on a
CalDAV server.

- `resources.py`: the folder's calendar files as collections of event resources;
- `dav.py`: the few WebDAV/CalDAV requests needed, over the `caldav` library's client;
- `sync.py`: what to create, update, delete or leave, with If-Match on the server's ETags,
  and the state kept in history.sqlite.
"""
