"""Clips by channel and wall-clock time: which recordings of an IVS channel cover a window.

``ids`` reads a channel id or ARN, ``request`` the source fields of ``POST /clipmanifest``
(``master_url`` or ``channel``, a window or ``last_seconds``), ``find`` walks one channel's
date tree from the window's dates, ``span`` reads a recording's first and last instants, and
``clip`` cuts each recording over its part of the window and stitches them into one clip.
"""
