"""The model as read from disk, without TensorFlow: where it is, its protos, its metadata.

``locate`` turns a path (folder, version folder, TF Serving base folder) into one
SavedModel and keeps every path read inside it (or an allowed root); ``protos`` builds
TensorFlow's message classes from its installed schemas without importing it; ``reader``
parses ``saved_model.pb`` into the frozen dataclasses of ``info`` (ModelInfo →
MetaGraphInfo → SignatureInfo → TensorInfo); ``samples`` lists the bundled models;
``extent`` measures what a MetaGraph asks of TensorFlow (inlined nodes, call and graph
depth, materialized constants) and ``bounds`` refuses it past the limits, before anything
is loaded. Imports only ``explorer.errors`` and ``explorer.constants``.
"""
