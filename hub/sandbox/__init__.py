"""What runs the hub without real networks; none of it is on the product's runtime path.

- :mod:`.harness`: the loopback HTTP harness every emulator and the stub are built on
  (threaded keep-alive server, faults, counters, ``/_emulator/*`` control endpoints);
- :mod:`.sample_texts`: the Russian texts the emulators' residents and pages write;
- :mod:`.gospabliki_stub`: a stand-in for Gospabliki that implements the hub's
  reporting API (``hub gospabliki-stub``);
- :mod:`.demo`: ``hub demo``, the whole hub against the emulators.

The networks' emulators live in their plugins (``plugins/<network>/emulator/``) and
reach the hub only through the ``register_emulators`` hook. The core's runtime
modules import nothing from here (``tests/test_layout.py`` checks it).
"""
