"""Will clients keep working? The signature diff between two models, and replayable test
cases (``cases`` to read and write them, ``replay`` to run them). Imports ``run`` and
below; independent of ``remote``."""
