"""The graph a signature runs: sliced through the function library, grouped, laid out as
boxes (``elements``), drawn as DOT (``dot``), inspected node by node (``inspector``), and
the tf.Example features its parse ops read (``example_features``). Imports ``serving``,
``model`` and below; never runs anything."""
