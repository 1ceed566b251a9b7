"""The graph a signature runs: each graph body read once (``bodies``, ``library``), sliced
through the function library (``slicing``, ``resolving``, ``flat``, ``levels``), grouped
by function, name scope and the stage → block → layer structure of layer names
(``grouping``, ``groups``, ``contents``, ``scope_index``, ``regrouping``, ``naming``,
``cycles``) into a tree made as it is opened, its ops numbered so each group is one range
(``tally``), opened one level at a time (``opening``), assembled as boxes (``build``,
``view``, ``view_edges``, ``signature_boxes``, ``summary``, ``elements``), found by what a
user names (``navigation``), laid out so it keeps a page's shape (``layout``,
``containers``, ``wrapping``, ``routing``, ``scene``, ``text_width``), written as DOT or
SVG (``dot``, ``svg``), inspected node by node (``inspector``), and the tf.Example
features its parse ops read (``example_features``). Big tables are built with the cycle
collector paused (``pause``). Imports ``serving``, ``model`` and below; never runs
anything."""
