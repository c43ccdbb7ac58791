"""The base package under the apps: what registry, monitoring, reports and the portal's wiring share.

It imports no app of the project (docs/architecture.md §2): Russian formats of figures and dates
(``formats``, also Django's ``FORMAT_MODULE_PATH``), the characters refused in typed text and
left out of written files (``text``, ``forms``), environment faults (``faults``), the media storage
and the checks and disk-full-safe save of uploads (``storage``, ``uploads``), and the formats'
template tags (``{% load formats %}``). It has no models.
"""
