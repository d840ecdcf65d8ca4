"""proxmo's bridge adapter: a child process that serves real Python text environments
(TextWorld, ALFWorld, WebShop, and a ``debug`` kind for tests) to proxmo's ``env.bridge`` stage
over JSON lines. Start it with ``python3 -m proxmo_bridge``; docs/environments.md ("Bridged
environments") says what each kind does, ``server`` holds the protocol in short.

One module per job: ``server`` (requests, the kinds registry, ``main``), ``common`` (errors,
field checks, the ``Instance`` base class), and one module per kind (``textworld``,
``alfworld``, ``webshop``, ``debug``). Only the standard library is imported here."""

from .server import KINDS, PROTOCOL_VERSION, main
from .textworld import strip_status_line
from .webshop import webshop_anchor, webshop_instruction

__all__ = ["KINDS", "PROTOCOL_VERSION", "main", "strip_status_line", "webshop_anchor",
           "webshop_instruction"]
