"""The local stack (``make run``): the Lambda handlers behind an emulated HTTP API, a CDN-like
``/media``, and the web studio, on waitress + Werkzeug.

It lives outside ``handlers`` and ``clipping`` so the Lambda archive never ships it, yet it runs
the very handler functions deployed to AWS, fed with the same API Gateway (payload 2.0) events,
against files under ``.data`` or a real bucket.
"""
