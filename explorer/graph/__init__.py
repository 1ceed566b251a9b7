"""The graph a signature runs: sliced through the function library (``slicing``), grouped by
function, name scope and the stage → block → layer structure of layer names (``grouping``,
``naming``, ``cycles``), opened one level at a time (``opening``), assembled as boxes
(``build``, ``view``, ``signature_boxes``, ``summary``, ``elements``), laid out so it keeps
a page's shape (``layout``, ``containers``, ``wrapping``, ``routing``, ``scene``), written
as DOT or SVG (``dot``, ``svg``), inspected node by node (``inspector``), and the
tf.Example features its parse ops read (``example_features``). Imports ``serving``,
``model`` and below; never runs anything."""
