"""The model as read from disk, without TensorFlow: where it is, its protos, its metadata.

``locate`` turns a path (folder, version folder, TF Serving base folder) into one
SavedModel; ``protos`` builds TensorFlow's message classes from its installed schemas
without importing it; ``reader`` parses ``saved_model.pb`` into the frozen dataclasses of
``info`` (ModelInfo → MetaGraphInfo → SignatureInfo → TensorInfo); ``samples`` lists the
bundled models. Imports only ``explorer.errors`` and ``explorer.constants``.
"""
